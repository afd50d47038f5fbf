import Foundation
import Synchronization

/// How much of the delivery capacity one endpoint may take, set per webhook.
public struct EndpointLimits: Sendable, Hashable {
    /// Sends to the endpoint in flight at once, counted across every worker.
    public var maxInFlight: Int
    /// Deliveries per second, evenly spaced; nil: as fast as `maxInFlight` allows. Deliveries
    /// above it wait; none is dropped.
    public var rateLimit: Int?

    public static let defaultMaxInFlight = 4
    public static let maxInFlightRange = 1...64
    /// Up to one delivery per millisecond, the resolution send times are kept at.
    public static let rateLimitRange = 1...1_000

    public init(maxInFlight: Int = defaultMaxInFlight, rateLimit: Int? = nil) {
        self.maxInFlight = maxInFlight
        self.rateLimit = rateLimit
    }
}

/// An endpoint with due deliveries, as a claim finds it.
public struct EndpointBacklog: Sendable, Hashable {
    public var webhookId: UUID
    public var tenantId: UUID
    /// Due deliveries waiting to be claimed.
    public var waiting: Int
    /// When the earliest of them came due.
    public var firstDue: Date
    /// Its sends in flight on every worker (leases not yet expired).
    public var inFlight: Int
    /// An inactive webhook's deliveries fail without a send: no limit or circuit holds them.
    public var isActive: Bool
    public var limits: EndpointLimits
    public var circuit: Circuit
    /// With a rate limit: when its next send may start.
    public var nextSendAt: Date?

    public init(
        webhookId: UUID, tenantId: UUID, waiting: Int, firstDue: Date, inFlight: Int, isActive: Bool = true,
        limits: EndpointLimits = EndpointLimits(), circuit: Circuit = .closed, nextSendAt: Date? = nil
    ) {
        self.webhookId = webhookId
        self.tenantId = tenantId
        self.waiting = waiting
        self.firstDue = firstDue
        self.inFlight = inFlight
        self.isActive = isActive
        self.limits = limits
        self.circuit = circuit
        self.nextSendAt = nextSendAt
    }
}

/// The worker that claims: its capacity and the sends it has under way, per tenant.
public struct WorkerLoad: Sendable, Hashable {
    /// Sends it may have under way at once.
    public var concurrency: Int
    /// Its sends under way, per tenant.
    public var inFlight: [UUID: Int]

    public init(concurrency: Int, inFlight: [UUID: Int] = [:]) {
        self.concurrency = concurrency
        self.inFlight = inFlight
    }

    /// Slots kept free beyond the tenants' shares (an eighth, at least one), so that another
    /// tenant's first event does not wait behind sends that may take the whole request timeout.
    public var reserve: Int { concurrency > 1 ? max(1, concurrency / 8) : 0 }

    /// The most sends one tenant may have under way here while `tenants` tenants have work.
    public func tenantShare(tenants: Int) -> Int {
        tenants <= 1 ? max(1, concurrency - reserve) : max(1, concurrency / tenants)
    }
}

/// Which due deliveries a worker claims.
public struct ClaimPlan: Sendable, Hashable {
    /// How many of each endpoint's earliest due deliveries to claim.
    public var quotas: [UUID: Int] = [:]
    /// Rate-limited endpoints' next send times once these are claimed.
    public var nextSendAt: [UUID: Date] = [:]
    /// The earliest time an endpoint that now waits may go again (a probe, a rate-limit slot).
    public var wakeAt: Date?

    public init(quotas: [UUID: Int] = [:], nextSendAt: [UUID: Date] = [:], wakeAt: Date? = nil) {
        self.quotas = quotas
        self.nextSendAt = nextSendAt
        self.wakeAt = wakeAt
    }

    public var total: Int { quotas.values.reduce(0, +) }
}

/// Fair sharing of delivery capacity. No endpoint takes more than its in-flight limit, its rate
/// or (with an open circuit) more than one probe. Free slots go round the tenants, and within a
/// tenant round its endpoints (least busy first), so a saturated endpoint or tenant is skipped
/// rather than waited behind: first up to an equal share per tenant that has work (a tenant
/// alone: all but ``WorkerLoad/reserve``), then what no one took, still keeping the reserve free.
public enum FairClaim {
    public static func plan(_ backlog: [EndpointBacklog], load: WorkerLoad, limit: Int, now: Date) -> ClaimPlan {
        var plan = ClaimPlan()
        let busy = load.inFlight.values.reduce(0, +)
        var free = min(limit, load.concurrency - busy)
        guard free > 0 else { return plan }

        var allowance: [UUID: Int] = [:]
        for endpoint in backlog {
            allowance[endpoint.webhookId] = Self.allowance(endpoint, now: now, wakeAt: &plan.wakeAt)
        }
        // Each tenant's claimable endpoints, least busy first, then earliest due.
        var queues = Dictionary(grouping: backlog.filter { allowance[$0.webhookId, default: 0] > 0 }, by: \.tenantId)
            .mapValues { endpoints in
                endpoints.sorted {
                    ($0.inFlight, $0.firstDue, $0.webhookId)
                        < ($1.inFlight, $1.firstDue, $1.webhookId)
                }
            }
        // Tenants that can take a slot now, or hold some: those with nothing claimable claim no share.
        let sharing = Set(queues.keys).union(load.inFlight.filter { $0.value > 0 }.keys)
        let share = load.tenantShare(tenants: sharing.count)
        let tenants = queues.keys.sorted {
            (queues[$0]![0].firstDue, $0) < (queues[$1]![0].firstDue, $1)
        }
        var next: [UUID: Int] = [:]

        /// Hands out up to `budget` slots round the tenants, each up to its `room`.
        func distribute(budget: Int, room: inout [UUID: Int]) {
            var budget = budget
            var progress = true
            while budget > 0 && progress {
                progress = false
                for tenant in tenants where budget > 0 && room[tenant, default: 0] > 0 {
                    guard var endpoints = queues[tenant], !endpoints.isEmpty else { continue }
                    let index = next[tenant, default: 0] % endpoints.count
                    let endpoint = endpoints[index]
                    plan.quotas[endpoint.webhookId, default: 0] += 1
                    budget -= 1
                    free -= 1
                    room[tenant]! -= 1
                    progress = true
                    allowance[endpoint.webhookId]! -= 1
                    if allowance[endpoint.webhookId]! == 0 {
                        endpoints.remove(at: index)
                        next[tenant] = index
                    } else {
                        next[tenant] = index + 1
                    }
                    queues[tenant] = endpoints
                }
            }
        }

        var room = Dictionary(uniqueKeysWithValues: tenants.map { ($0, max(0, share - load.inFlight[$0, default: 0])) })
        distribute(budget: free, room: &room)
        // What the shares left unused goes to whoever can still use it, short of the reserve.
        var unlimited = Dictionary(uniqueKeysWithValues: tenants.map { ($0, Int.max) })
        distribute(budget: min(free, load.concurrency - load.reserve - busy - plan.total), room: &unlimited)

        for endpoint in backlog where endpoint.isActive {
            guard let rate = endpoint.limits.rateLimit, let count = plan.quotas[endpoint.webhookId] else { continue }
            let start = max(endpoint.nextSendAt ?? now, now)
            let nextSend = start.addingTimeInterval(Double(count) / Double(rate))
            plan.nextSendAt[endpoint.webhookId] = nextSend
            // More is waiting: look again when its slot comes.
            if endpoint.waiting > count { plan.wakeAt = min(plan.wakeAt ?? nextSend, nextSend) }
        }
        return plan
    }

    /// How many sends `endpoint` may start now; where time will let it go, moves `wakeAt` earlier.
    static func allowance(_ endpoint: EndpointBacklog, now: Date, wakeAt: inout Date?) -> Int {
        func waitUntil(_ date: Date) {
            wakeAt = min(wakeAt ?? date, date)
        }
        guard endpoint.isActive else { return endpoint.waiting }
        var allowance: Int
        switch endpoint.circuit.state(at: now) {
        case .open:
            waitUntil(endpoint.circuit.probeAt!)
            return 0
        case .halfOpen:
            allowance = endpoint.inFlight == 0 ? 1 : 0
        case .closed:
            allowance = max(0, endpoint.limits.maxInFlight - endpoint.inFlight)
        }
        if endpoint.limits.rateLimit != nil {
            if let next = endpoint.nextSendAt, next > now {
                waitUntil(next)
                return 0
            }
            allowance = min(allowance, 1)
        }
        return min(allowance, endpoint.waiting)
    }
}

/// Which endpoints with pending deliveries a claim looks at: at most ``size`` of them, taken in
/// id order from where the previous claim's window ended and wrapping round, so that a claim costs
/// the same with ten thousand endpoints waiting as with ten, and every endpoint comes into view
/// within a few claims. (Endpoints with expired leases are always in view; fairness between
/// tenants holds within each window.)
public final class ClaimWindow: Sendable {
    public let size: Int
    /// How many windows in a row may come up empty before a claim stops looking further at once.
    public let maxEmptyStreak: Int

    private struct State {
        /// The last endpoint id of the previous window; empty: start at the beginning.
        var cursor = ""
        /// Windows in a row that gave no work while endpoints lay beyond them.
        var emptyStreak = 0
    }

    private let state = Mutex(State())

    public init(size: Int = 512, maxEmptyStreak: Int = 64) {
        self.size = max(1, size)
        self.maxEmptyStreak = max(0, maxEmptyStreak)
    }

    /// Where this claim's window starts: read up to ``size`` ids after it.
    public func start() -> String { state.withLock { $0.cursor } }

    /// How many more ids to read from the beginning (up to `start`), when the first read reached
    /// the end of the ids before the window filled; nil when the window is complete.
    public func remainder(after start: String, read: [String]) -> Int? {
        read.count < size && !start.isEmpty ? size - read.count : nil
    }

    /// The window, from the first read and the one from the beginning; moves the cursor on.
    public func finish(start: String, read: [String], fromBeginning: [String] = []) -> [String] {
        // Ids after `start` are in the first read already.
        let wrapped = fromBeginning.filter { $0 <= start }
        let next: String
        if read.count >= size {
            next = read.last ?? ""
        } else if !wrapped.isEmpty && wrapped.count >= size - read.count {
            next = wrapped.last ?? ""
        } else {
            next = ""
        }
        state.withLock { $0.cursor = next }
        return read + wrapped
    }

    /// Whether to claim again at once rather than sleep: endpoints lie beyond this window (work
    /// due there would otherwise wait for the next wake-up) and either this window gave work or
    /// not too many windows in a row have come up empty (endpoints that are due but blocked, by
    /// an open circuit or a full in-flight limit, must not make the worker spin).
    public func claimAgain(tookWork: Bool) -> Bool {
        state.withLock { state in
            guard !state.cursor.isEmpty else {
                // This window saw every endpoint.
                state.emptyStreak = 0
                return false
            }
            if tookWork {
                state.emptyStreak = 0
                return true
            }
            state.emptyStreak += 1
            return state.emptyStreak <= maxEmptyStreak
        }
    }
}
