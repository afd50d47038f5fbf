import Foundation
import HeraldCore
import Testing

/// The ingest rules, decided without a database: what is read, what is written, what is answered.
@Suite struct IngestTests {
    let tenant = UUID()
    let property = UUID()
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    func event(
        _ name: String = "booking_new", key: String? = nil, payload: JSONValue = ["booking_id": "b-1"],
        test: Bool = false, property: UUID?? = .none
    ) -> Event {
        Event(
            tenantId: tenant, propertyId: property ?? self.property, name: name, payload: payload, occurredAt: now,
            idempotencyKey: key, isTest: test, createdAt: now)
    }

    func webhook(receivesTests: Bool = false, global: Bool = false) throws -> Webhook {
        Webhook(
            tenantId: tenant, propertyId: global ? nil : property, isGlobal: global,
            callbackURL: "https://a.example/\(UUID().text)", eventMask: try EventMask(parsing: "*"), isActive: true,
            secrets: [], receivesTestEvents: receivesTests, createdAt: now, updatedAt: now)
    }

    func facts(demo: Bool = false, webhooks: [Webhook] = []) -> Ingest.Facts {
        let routes = webhooks.map(WebhookRoute.init)
        return Ingest.Facts(
            demoMode: demo, webhooks: [property: routes, nil: routes.filter(\.isGlobal)], properties: [property])
    }

    /// Facts in which `key` is a live key of the tenant.
    func facts(live key: UUID) throws -> Ingest.Facts {
        var live = facts(webhooks: [try webhook()])
        live.liveKeys = [key]
        return live
    }

    /// The posting key is read with the group's facts, once per tenant however many requests.
    @Test func readsNameThePostingKeys() {
        let key = UUID()
        #expect(
            Ingest.reads(for: IngestRequest(events: [event()], tenantId: tenant, now: now, keyId: key)).keyIds == [key])
        let twice = IngestRequest(events: [event()], tenantId: tenant, now: now, keyId: key)
        #expect(Ingest.reads(forGroup: [twice, twice]).map(\.keyIds) == [[key]])
    }

    /// A revoked (or another tenant's) posting key stores nothing; nor does one whose tenant is
    /// gone (its keys went with it). A live one stores as any ingest does.
    @Test func aDeadKeyStoresNothing() throws {
        let key = UUID()
        #expect(try Ingest.plan([event()], facts: try facts(live: key), now: now, keyId: key).deliveries.count == 1)
        #expect(throws: StoreError.revokedKey) {
            try Ingest.plan([event()], facts: facts(webhooks: [try webhook()]), now: now, keyId: key)
        }
        #expect(throws: StoreError.revokedKey) {
            try Ingest.plan([event()], facts: Ingest.Facts(demoMode: nil), now: now, keyId: key)
        }
    }

    /// An event naming a property the tenant does not have stores nothing, and the refusal names
    /// each such event by its position.
    @Test func anUnknownPropertyStoresNothing() throws {
        let key = UUID()
        let stranger = UUID()
        #expect(throws: StoreError.unknownProperties([1, 3])) {
            try Ingest.plan(
                [event(), event(property: stranger), event(property: .some(nil)), event(property: stranger)],
                facts: try facts(live: key), now: now, keyId: key)
        }
    }

    /// In a group, the request with the dead key fails alone.
    @Test func aDeadKeyFailsAloneInAGroup() throws {
        let key = UUID()
        let plans = Ingest.plan(
            group: [
                IngestRequest(events: [event()], tenantId: tenant, now: now, keyId: UUID()),
                IngestRequest(events: [event()], tenantId: tenant, now: now, keyId: key),
            ], facts: [tenant: try facts(live: key)])
        #expect(plans.map { (try? $0.get()) != nil } == [false, true])
    }

    @Test func readsNameEachKeyEntityAndPropertyOnce() {
        let booking: JSONValue = ["booking": ["uuid": "b-1"]]
        let reads = Ingest.reads(
            for: [
                event(key: "k1"), event(key: "k1"), event("booking_update", payload: booking),
                event("booking_update", payload: booking, test: true), event(property: .some(nil)),
            ], tenantId: tenant)
        #expect(reads.idempotencyKeys == ["k1"])
        #expect(reads.entities == [EntityKey(kind: "booking", id: "b-1"), EntityKey(kind: "test:booking", id: "b-1")])
        #expect(reads.propertyIds == [property, nil])
    }

    /// Deliveries past the transaction's budget are deferred, an event's all together; the answers
    /// count them either way, and the parts split at ``DeferredFanOut/partSize``.
    @Test func deliveriesPastTheBudgetAreDeferredAnEventAtATime() throws {
        let hooks = try (0..<3).map { _ in try webhook() }
        let plan = try Ingest.plan(
            [event(), event(), event(), event()], facts: facts(webhooks: hooks), now: now, budget: 7)
        #expect(plan.results.map(\.deliveries) == [3, 3, 3, 3])
        #expect(plan.deliveries.count == 6)
        #expect(plan.fanOuts.map(\.eventId) == [plan.events[2].id, plan.events[3].id])
        #expect(plan.fanOuts.allSatisfy { $0.targets.count == 3 && $0.createdAt == now && $0.parts.count == 1 })
        #expect(plan.makesWork)
        let deferred = try #require(plan.fanOuts.first)
        #expect(DeferredFanOut.targets(fromText: DeferredFanOut.text(of: deferred.targets)) == deferred.targets)
        let made = deferred.deliveries(of: deferred.targets)
        #expect(Set(made.map(\.webhookId)) == Set(hooks.map(\.id)))
        #expect(made.allSatisfy { $0.eventId == deferred.eventId && $0.nextAttemptAt == now })
        let large = DeferredFanOut(
            eventId: UUID(), tenantId: tenant, createdAt: now,
            targets: Array(repeating: deferred.targets[0], count: 2 * DeferredFanOut.partSize + 1))
        #expect(large.parts.map(\.number) == [0, 1, 2])
        #expect(large.parts.map(\.targets.count) == [DeferredFanOut.partSize, DeferredFanOut.partSize, 1])
        // An expansion takes the oldest parts while they fit in one part's worth, and always one.
        #expect(DeferredFanOut.partsToTake(sizes: [2, 2, DeferredFanOut.partSize]) == 2)
        #expect(DeferredFanOut.partsToTake(sizes: [DeferredFanOut.partSize, 5]) == 1)
        #expect(DeferredFanOut.partsToTake(sizes: [DeferredFanOut.partSize + 1]) == 1)
        #expect(DeferredFanOut.partsToTake(sizes: []) == 0)
        // An event past the threshold defers whatever the budget.
        let many = try (0..<(DeferredFanOut.threshold + 1)).map { _ in try webhook() }
        let big = try Ingest.plan([event()], facts: facts(webhooks: many), now: now)
        #expect(big.deliveries.isEmpty && big.fanOuts.map(\.targets.count) == [DeferredFanOut.threshold + 1])
    }

    @Test func eachEventIsStoredWithADeliveryPerMatchingWebhook() throws {
        let hooks = [try webhook(), try webhook(global: true)]
        let plan = try Ingest.plan([event(), event(property: .some(nil))], facts: facts(webhooks: hooks), now: now)
        #expect(plan.events.count == 2)
        #expect(plan.results.map(\.deliveries) == [2, 1])
        #expect(plan.deliveries.allSatisfy { $0.nextAttemptAt == now && $0.status == .pending })
        #expect(plan.makesWork)
    }

    @Test func anUnknownTenantIsNotFound() {
        #expect(throws: StoreError.notFound) {
            try Ingest.plan([event()], facts: Ingest.Facts(demoMode: nil), now: now)
        }
    }

    @Test func aKeyUsedBeforeReplaysTheFirstEventAndStoresNothing() throws {
        let first = IngestResult(event: event(key: "k1"), deliveries: 3, replayed: false)
        var known = facts(webhooks: [try webhook()])
        known.earlier = ["k1": first]
        let plan = try Ingest.plan([event(key: "k1")], facts: known, now: now)
        #expect(plan.results == [IngestResult(event: first.event, deliveries: 3, replayed: true)])
        #expect(plan.events.isEmpty && plan.deliveries.isEmpty && !plan.makesWork)
    }

    @Test func aKeyRepeatedInOneBatchIsStoredOnce() throws {
        let plan = try Ingest.plan(
            [event(key: "k1"), event(key: "k1"), event(key: "k2")], facts: facts(webhooks: [try webhook()]), now: now)
        #expect(plan.events.count == 2)
        #expect(plan.deliveries.count == 2)
        #expect(plan.results.map(\.replayed) == [false, true, false])
        #expect(plan.results[1].event.id == plan.results[0].event.id)
        #expect(plan.results[1].deliveries == 1)
    }

    @Test func aDemoTenantStoresEventsButMakesNoDeliveries() throws {
        let plan = try Ingest.plan([event()], facts: facts(demo: true, webhooks: [try webhook()]), now: now)
        #expect(plan.events.count == 1)
        #expect(plan.deliveries.isEmpty && !plan.makesWork)
        #expect(plan.results.map(\.deliveries) == [0])
    }

    @Test func testEventsReachOnlyTestEndpoints() throws {
        let live = try webhook()
        let test = try webhook(receivesTests: true)
        let plan = try Ingest.plan([event(test: true)], facts: facts(webhooks: [live, test]), now: now)
        #expect(plan.deliveries.map(\.webhookId) == [test.id])
    }

    @Test func anEntityEventIsDiffedAgainstTheLastStateWhichItThenBecomes() throws {
        let key = EntityKey(kind: "booking", id: "b-1")
        var known = facts()
        known.snapshots = [key: ["uuid": "b-1", "status": "ON_HOLD"]]
        let confirmed: JSONValue = ["booking": ["uuid": "b-1", "status": "CONFIRMED"]]
        let cancelled: JSONValue = ["booking": ["uuid": "b-1", "status": "CANCELLED"]]
        let plan = try Ingest.plan(
            [event("booking_update", payload: confirmed), event("booking_update", payload: cancelled)], facts: known,
            now: now)
        #expect(
            plan.events[0].payload["diff"]
                == [["op": "replace", "path": "/status", "was": "ON_HOLD", "value": "CONFIRMED"]])
        // The second event of the batch diffs against the first.
        #expect(
            plan.events[1].payload["diff"]
                == [["op": "replace", "path": "/status", "was": "CONFIRMED", "value": "CANCELLED"]])
        #expect(plan.snapshots == [EntitySnapshot(key: key, body: cancelled["booking"]!, updatedAt: now)])
    }

    /// Requests committed together from one read of the facts decide as if one came after the
    /// other: keys replay, diffs chain, the budget is shared, and a missing tenant fails alone.
    @Test func aGroupOfRequestsDecidesAsIfCommittedOneAfterAnother() throws {
        let hooks = try (0..<2).map { _ in try webhook() }
        var known = facts(webhooks: hooks)
        known.snapshots = [EntityKey(kind: "booking", id: "b-1"): ["uuid": "b-1", "status": "ON_HOLD"]]
        let confirmed: JSONValue = ["booking": ["uuid": "b-1", "status": "CONFIRMED"]]
        let cancelled: JSONValue = ["booking": ["uuid": "b-1", "status": "CANCELLED"]]
        let gone = UUID()
        let requests = [
            IngestRequest(events: [event("booking_update", key: "k", payload: confirmed)], tenantId: tenant, now: now),
            IngestRequest(events: [event(key: "k")], tenantId: tenant, now: now),
            IngestRequest(events: [event()], tenantId: gone, now: now),
            IngestRequest(events: [event("booking_update", payload: cancelled)], tenantId: tenant, now: now),
        ]
        #expect(Ingest.reads(forGroup: requests).map(\.tenantId) == [tenant, gone])
        let plans = Ingest.plan(group: requests, facts: [tenant: known], budget: 3)
        let first = try plans[0].get()
        let replay = try plans[1].get()
        #expect(replay.events.isEmpty && replay.results[0].replayed)
        #expect(replay.results[0].event.id == first.events[0].id && replay.results[0].deliveries == 2)
        #expect(throws: StoreError.notFound) { try plans[2].get() }
        let last = try plans[3].get()
        #expect(
            last.events[0].payload["diff"]
                == [["op": "replace", "path": "/status", "was": "CONFIRMED", "value": "CANCELLED"]])
        // Two deliveries of the budget of three went with the first request: the last one's two wait.
        #expect(first.deliveries.count == 2 && first.fanOuts.isEmpty)
        #expect(last.deliveries.isEmpty && last.fanOuts.map(\.targets.count) == [2])
    }

    @Test func aFirstSightingHasAnEmptyDiffAndAPublishersDiffIsKept() throws {
        let given: JSONValue = ["booking": ["uuid": "b-2"], "diff": [["op": "add", "path": "/x", "value": 1]]]
        let plan = try Ingest.plan(
            [
                event("booking_update", payload: ["booking": ["uuid": "b-1"]]),
                event("booking_update", payload: given),
            ], facts: facts(), now: now)
        #expect(plan.events[0].payload["diff"] == [])
        #expect(plan.events[1].payload["diff"] == given["diff"])
        #expect(plan.snapshots.map(\.key.id) == ["b-1", "b-2"])
    }

    @Test func testEventsKeepEntityStatesOfTheirOwn() throws {
        var known = facts()
        known.snapshots = [EntityKey(kind: "booking", id: "b-1"): ["uuid": "b-1", "status": "ON_HOLD"]]
        let plan = try Ingest.plan(
            [event("booking_update", payload: ["booking": ["uuid": "b-1", "status": "CONFIRMED"]], test: true)],
            facts: known, now: now)
        #expect(plan.events[0].payload["diff"] == [])
        #expect(plan.snapshots.map(\.key) == [EntityKey(kind: "test:booking", id: "b-1")])
    }
}
