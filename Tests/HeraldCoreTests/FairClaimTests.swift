import Foundation
import HeraldCore
import Testing

/// How a worker's free slots are shared between tenants and endpoints.
@Suite struct FairClaimTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    let tenantA = UUID()
    let tenantB = UUID()

    func endpoint(
        _ tenant: UUID, waiting: Int = 100, inFlight: Int = 0, maxInFlight: Int = 64, due: TimeInterval = -1,
        rateLimit: Int? = nil, nextSendAt: Date? = nil, circuit: Circuit = .closed
    ) -> EndpointBacklog {
        EndpointBacklog(
            webhookId: UUID(), tenantId: tenant, waiting: waiting, firstDue: Self.now.addingTimeInterval(due),
            inFlight: inFlight, limits: EndpointLimits(maxInFlight: maxInFlight, rateLimit: rateLimit),
            circuit: circuit, nextSendAt: nextSendAt)
    }

    func plan(_ backlog: [EndpointBacklog], concurrency: Int = 64, inFlight: [UUID: Int] = [:], limit: Int = 64)
        -> ClaimPlan
    {
        FairClaim.plan(
            backlog, load: WorkerLoad(concurrency: concurrency, inFlight: inFlight), limit: limit, now: Self.now)
    }

    @Test func anEndpointTakesNoMoreThanItsInFlightLimit() {
        let hook = endpoint(tenantA, inFlight: 1, maxInFlight: 4)
        #expect(plan([hook]).quotas == [hook.webhookId: 3])
        #expect(plan([endpoint(tenantA, inFlight: 4, maxInFlight: 4)]).quotas.isEmpty)
    }

    @Test func noMoreThanIsWaitingOrTheLimitAsks() {
        let hook = endpoint(tenantA, waiting: 2)
        #expect(plan([hook]).quotas == [hook.webhookId: 2])
        #expect(plan([endpoint(tenantA)], limit: 5).total == 5)
    }

    @Test func aTenantAloneLeavesTheReserveFree() {
        let hooks = (0..<20).map { _ in endpoint(tenantA, maxInFlight: 4) }
        #expect(plan(hooks).total == 64 - 8)
        #expect(plan(hooks, inFlight: [tenantA: 50]).total == 6)
        #expect(plan([endpoint(tenantA)], concurrency: 4).total == 3)
        #expect(plan([endpoint(tenantA)], concurrency: 1).total == 1)
    }

    @Test func sharesNoOneUsesGoToTheOthers() {
        // Tenant A has one send under way and nothing more to claim: B may take all but the reserve.
        let b = endpoint(tenantB)
        #expect(plan([b], inFlight: [tenantA: 1]).quotas == [b.webhookId: 64 - 8 - 1])
        // A tenant whose endpoints all wait (an open circuit) claims no share either.
        let blocked = endpoint(
            tenantA, circuit: Circuit(failures: 5, openedAt: Self.now, probeAt: Self.now.addingTimeInterval(30)))
        #expect(plan([blocked, b]).quotas == [b.webhookId: 64 - 8])
    }

    @Test func anInactiveWebhooksDeliveriesAreNotHeldByItsLimits() {
        let circuit = Circuit(failures: 5, openedAt: Self.now, probeAt: Self.now.addingTimeInterval(30))
        let off = endpoint(
            tenantA, waiting: 10, inFlight: 4, maxInFlight: 4, rateLimit: 1, nextSendAt: Self.now.addingTimeInterval(5),
            circuit: circuit)
        var inactive = off
        inactive.isActive = false
        #expect(plan([off]).quotas.isEmpty)
        #expect(plan([inactive]).quotas == [inactive.webhookId: 10])
    }

    @Test func anotherTenantsEventTakesAFreeSlotWhileTheFirstIsOverItsShare() {
        let flood = (0..<17).map { _ in endpoint(tenantA, inFlight: 3, maxInFlight: 4) }
        let newcomer = endpoint(tenantB, waiting: 1, due: 0)
        let claimed = plan(flood + [newcomer], inFlight: [tenantA: 56])
        #expect(claimed.quotas == [newcomer.webhookId: 1])
    }

    @Test func freeSlotsGoRoundTheTenants() {
        let a = endpoint(tenantA, due: -10)
        let b = endpoint(tenantB, due: -1)
        #expect(plan([a, b], limit: 10).quotas == [a.webhookId: 5, b.webhookId: 5])
        // With two tenants at work each may hold half the worker.
        #expect(plan([a, b], inFlight: [tenantA: 32]).quotas == [b.webhookId: 32])
    }

    @Test func withinATenantTheLeastBusyEndpointGoesFirst() {
        let hostile = endpoint(tenantA, inFlight: 3, maxInFlight: 4, due: -60)
        let healthy = endpoint(tenantA, due: -1)
        #expect(plan([hostile, healthy], limit: 1).quotas == [healthy.webhookId: 1])
    }

    @Test func anOpenCircuitWaitsForItsProbeTime() {
        let probeAt = Self.now.addingTimeInterval(20)
        let open = endpoint(tenantA, circuit: Circuit(failures: 5, openedAt: Self.now, probeAt: probeAt))
        let claimed = plan([open])
        #expect(claimed.quotas.isEmpty)
        #expect(claimed.wakeAt == probeAt)
    }

    @Test func aHalfOpenCircuitSendsOneProbeWhenNothingIsInFlight() {
        let circuit = Circuit(failures: 5, openedAt: Self.now, probeAt: Self.now.addingTimeInterval(-1))
        let idle = endpoint(tenantA, circuit: circuit)
        #expect(plan([idle]).quotas == [idle.webhookId: 1])
        #expect(plan([endpoint(tenantA, inFlight: 1, circuit: circuit)]).quotas.isEmpty)
    }

    @Test func aRateLimitedEndpointSendsOneAtATimeAtItsRate() {
        let fresh = endpoint(tenantA, rateLimit: 5)
        let claimed = plan([fresh])
        #expect(claimed.quotas == [fresh.webhookId: 1])
        #expect(claimed.nextSendAt == [fresh.webhookId: Self.now.addingTimeInterval(0.2)])
        let slot = Self.now.addingTimeInterval(0.1)
        let early = endpoint(tenantA, rateLimit: 5, nextSendAt: slot)
        #expect(plan([early]).quotas.isEmpty)
        #expect(plan([early]).wakeAt == slot)
        // A slot missed while idle is not saved up: the next one counts from now.
        let idle = endpoint(tenantA, rateLimit: 5, nextSendAt: Self.now.addingTimeInterval(-30))
        #expect(plan([idle]).nextSendAt == [idle.webhookId: Self.now.addingTimeInterval(0.2)])
        // With more waiting, the worker looks again when the next slot comes, not when a send ends.
        #expect(claimed.wakeAt == Self.now.addingTimeInterval(0.2))
        #expect(plan([endpoint(tenantA, waiting: 1, rateLimit: 5)]).wakeAt == nil)
    }

    @Test func aFullWorkerClaimsNothing() {
        #expect(plan([endpoint(tenantB)], inFlight: [tenantA: 64]).quotas.isEmpty)
    }

    @Test func theClaimWindowGoesRoundEveryEndpointAndWraps() {
        let ids = (0..<10).map { String(format: "w%02d", $0) }
        let window = ClaimWindow(size: 4)
        func read(after start: String, _ limit: Int) -> [String] { Array(ids.filter { $0 > start }.prefix(limit)) }
        var seen: [[String]] = []
        for _ in 0..<4 {
            let start = window.start()
            let first = read(after: start, window.size)
            let rest = window.remainder(after: start, read: first).map { read(after: "", $0) } ?? []
            seen.append(window.finish(start: start, read: first, fromBeginning: rest))
        }
        #expect(seen[0] == ["w00", "w01", "w02", "w03"])
        #expect(seen[1] == ["w04", "w05", "w06", "w07"])
        // The end of the ids, then round to the beginning to fill the window.
        #expect(seen[2] == ["w08", "w09", "w00", "w01"])
        #expect(seen[3] == ["w02", "w03", "w04", "w05"])
        // Fewer endpoints than the window: every claim sees them all.
        let small = ClaimWindow(size: 20)
        let first = read(after: small.start(), 20)
        #expect(small.finish(start: "", read: first) == ids)
        #expect(small.start() == "")
    }

    @Test func aClaimLooksBeyondItsWindowAtOnceButNotWithoutEnd() {
        let window = ClaimWindow(size: 2, maxEmptyStreak: 3)
        let ids = ["a", "b", "c", "d", "e"]
        func next() {
            let start = window.start()
            let read = Array(ids.filter { $0 > start }.prefix(window.size))
            let rest = window.remainder(after: start, read: read).map { Array(ids.prefix($0)) } ?? []
            _ = window.finish(start: start, read: read, fromBeginning: rest)
        }
        next()
        // Work taken, more endpoints beyond: again at once.
        #expect(window.claimAgain(tookWork: true))
        // Empty windows: again at once, three times in a row, then sleep.
        let empties = (0..<4).map { _ in
            next()
            return window.claimAgain(tookWork: false)
        }
        #expect(empties == [true, true, true, false])
        // A window that saw every endpoint never asks for more.
        let whole = ClaimWindow(size: 10)
        _ = whole.finish(start: "", read: ids)
        #expect(!whole.claimAgain(tookWork: true))
    }
}
