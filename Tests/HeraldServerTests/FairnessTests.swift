import Foundation
import HeraldCore
import Synchronization
import Testing

/// One tenant's receivers cannot stall anyone else's: endpoints share the worker by in-flight
/// limits and tenant shares, failing endpoints open their circuits, and rate limits delay.
@Suite struct FairnessTests {
    @Test func aTenantFloodingHostileEndpointsDelaysNoOtherTenant() async throws {
        var herald = try await TestHerald()
        herald.configuration.dispatcher.concurrency = 64
        herald.configuration.dispatcher.batchSize = 64
        herald.configuration.timeouts = .init(connect: .seconds(2), total: .seconds(5))
        // Seventeen hostile endpoints of three kinds: silent, trickling, slow.
        let holes = try (0..<6).map { _ in try BlackHole() }
        defer { holes.forEach { $0.close() } }
        var started: [TestReceiver] = []
        for kind in 0..<11 {
            started.append(
                try await TestReceiver.start { _, _ in
                    kind < 6
                        ? .init(body: String(repeating: "x", count: 100), trickle: .milliseconds(500))
                        : .init(delay: .seconds(6))
                })
        }
        let hostile = started
        let healthyA = try await TestReceiver.start()
        let healthyB = try await TestReceiver.start()
        let published = Mutex<[Int: Date]>([:])

        try await herald.run { api in
            let a = try await api.world()
            var hostileHooks: [UUID] = []
            for url in holes.map(\.url) + hostile.map(\.url) {
                hostileHooks.append(try await api.activeWebhook(in: a, url: url, property: .some(nil)).id)
            }
            _ = try await api.activeWebhook(in: a, url: healthyA.url, property: .some(nil))
            let b = try await api.world()
            _ = try await api.activeWebhook(in: b, url: healthyB.url)

            // 60 events × 17 hostile endpoints: 1,020 deliveries that each hold a slot for 5 s.
            let events: [JSONValue] = (0..<60).map { n in
                ["name": "booking_new", "property_id": .string(a.property.text), "payload": ["n": .int(Int64(n))]]
            }
            let flood = try await api.call(
                .post, "/api/v1/events/batch", key: a.publisher, body: ["events": .array(events)])
            #expect(flood.status == .accepted)
            // The hostile endpoints hold their slots before tenant B publishes.
            for receiver in hostile { try await receiver.waitFor(EndpointLimits.defaultMaxInFlight) }

            for n in 0..<20 {
                published.withLock { $0[n] = Date() }
                #expect(try await api.publish(b, "booking_new", payload: ["n": .int(Int64(n))]).status == .accepted)
                try await Task.sleep(for: .milliseconds(100))
            }
            let arrived = try await healthyB.waitFor(20, timeout: .seconds(15))
            let sent = published.withLock { $0 }
            let latencies = try arrived.map { request in
                let n = try #require(try JSONValue.decode(request.body)["payload"]?["n"]?.intValue)
                return request.at.timeIntervalSince(try #require(sent[n]))
            }.sorted()
            #expect(latencies.count == 20)
            // Behind a hostile endpoint's slot, a delivery would wait its 5 s hold; fair ones take
            // milliseconds. 2.5 s, half the hold, tells the two apart with room for a loaded machine.
            #expect(latencies[latencies.count / 2] < 2.5, "median publish-to-arrival: \(latencies)")
            // Tenant A's healthy endpoint is not held up behind its own hostile ones either.
            try await healthyA.waitFor(60, timeout: .seconds(15))
            // No hostile endpoint ever had more than its limit of sends in flight.
            for hook in hostileHooks {
                #expect(try await mostAtOnce(api.store, hook) <= EndpointLimits.defaultMaxInFlight)
            }
        }
        for receiver in hostile + [healthyA, healthyB] { await receiver.stop() }
    }

    @Test(arguments: Backend.allCases)
    func aFailingEndpointsCircuitOpensHoldsItsDeliveriesAndAProbeClosesIt(backend: Backend) async throws {
        let healthy = Atomic<Bool>(false)
        let receiver = try await TestReceiver.start { _, _ in
            healthy.load(ordering: .relaxed) ? .init() : .init(status: .internalServerError)
        }
        var herald = try await TestHerald(backend)
        let clock = herald.withTestClock()
        try await herald.run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(
                in: world, url: receiver.url, ["retry_policy": ["schedule_seconds": [60, 60, 60]]])
            for n in 0..<12 { _ = try await api.publish(world, "booking_new", payload: ["n": .int(Int64(n))]) }

            // Five failures in a row open the circuit; the deliveries not yet tried wait.
            let opened = try await waitForCircuit(api, hook.id) { $0["state"] == "open" }
            let probeAt = try #require(opened["next_probe_at"]?.stringValue)
            try await waitUntilNothingInFlight(api, hook.id)
            let tried = receiver.requests.count
            #expect(tried >= 5 && tried < 12)
            #expect(try await notTried(api, hook.id).count == 12 - tried)

            // At the probe time (30 s after the last failure ended) exactly one probe goes; it
            // fails, and the wait doubles.
            await clock.advance(by: .seconds(31))
            try await receiver.waitFor(tried + 1)
            let reopened = try await waitForCircuit(api, hook.id) { $0["next_probe_at"]?.stringValue != probeAt }
            try await waitUntilNothingInFlight(api, hook.id)
            #expect(receiver.requests.count == tried + 1)
            #expect(reopened["state"] == "open")
            let waiting = try await notTried(api, hook.id)
            #expect(waiting.count == 12 - tried - 1)

            // The endpoint recovers: the next probe succeeds, the circuit closes, and everything
            // is delivered (the waiting deliveries on their first attempt).
            healthy.store(true, ordering: .relaxed)
            await clock.advance(by: .seconds(61))
            _ = try await waitForCircuit(api, hook.id) { $0["state"] == "closed" }
            await clock.advance(by: .seconds(120))
            try await api.waitUntilSettled()
            let settled = try await api.deliveries(of: hook.id)
            #expect(settled.allSatisfy { $0["attributes"]?["status"] == "succeeded" })
            for delivery in waiting {
                let id = try #require(delivery["id"]?.stringValue)
                let final = try #require(settled.first { $0["id"]?.stringValue == id })
                #expect(final["attributes"]?["attempts"] == 1)
            }
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func aRateLimitedEndpointReceivesAtItsRate(backend: Backend) async throws {
        // Each answer takes 3 s: the next slot must not wait for it.
        let receiver = try await TestReceiver.start { _, _ in .init(delay: .seconds(3)) }
        var herald = try await TestHerald(backend)
        let clock = herald.withTestClock()
        let store = herald.store
        try await herald.run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url, ["rate_limit": 5, "max_in_flight": 8])
            for n in 0..<8 { _ = try await api.publish(world, "booking_new", payload: ["n": .int(Int64(n))]) }
            // Time moves in steps of one slot (200 ms at 5/s); each step lets one delivery go.
            for sent in 1...8 {
                try await receiver.waitFor(sent, timeout: .seconds(2))
                await clock.advance(by: .milliseconds(200))
            }
            try await api.waitUntilSettled()
            let deliveries = try await api.deliveries(of: hook.id)
            #expect(deliveries.count == 8)
            #expect(
                deliveries.allSatisfy {
                    $0["attributes"]?["status"] == "succeeded" && $0["attributes"]?["attempts"] == 1
                })
            var starts: [Date] = []
            for delivery in deliveries {
                let id = try #require(delivery["id"]?.stringValue)
                starts += try await store.attempts(deliveryId: id).map(\.startedAt)
            }
            starts.sort()
            for (earlier, later) in zip(starts, starts.dropFirst()) {
                #expect(later.timeIntervalSince(earlier) >= 0.199)
            }
        }
        await receiver.stop()
    }

    /// The most attempts to the webhook that overlapped in time, from its attempt log.
    func mostAtOnce(_ store: any HeraldStore, _ webhook: UUID) async throws -> Int {
        var edges: [(at: Date, change: Int)] = []
        for delivery in try await store.deliveries(webhookId: webhook, status: nil, page: PageRequest(limit: 100)).items
        {
            for attempt in try await store.attempts(deliveryId: delivery.id) {
                let end = attempt.startedAt.addingTimeInterval(Double(attempt.durationMs) / 1000)
                edges += [(attempt.startedAt, 1), (end, -1)]
            }
        }
        // An attempt that ended frees its slot for one that starts at the same moment.
        edges.sort { ($0.at, $0.change) < ($1.at, $1.change) }
        var current = 0
        var most = 0
        for edge in edges {
            current += edge.change
            most = max(most, current)
        }
        return most
    }

    /// Polls the webhook until its circuit satisfies `done`; returns the circuit.
    func waitForCircuit(_ api: TestAPI, _ id: UUID, until done: (JSONValue) -> Bool) async throws -> JSONValue {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let circuit = try await api.call(.get, "/api/v1/webhooks/\(id.text)", key: api.admin).attributes?[
                "circuit"]
            if let circuit, done(circuit) { return circuit }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("the circuit did not reach the expected state")
    }

    /// Waits until none of the webhook's deliveries is in flight (with its circuit open and time
    /// standing still, none starts after).
    func waitUntilNothingInFlight(_ api: TestAPI, _ id: UUID) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await api.deliveries(of: id, status: "in_flight").isEmpty { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("deliveries stayed in flight")
    }

    /// The webhook's deliveries that wait without a try.
    func notTried(_ api: TestAPI, _ id: UUID) async throws -> [JSONValue] {
        try await api.deliveries(of: id, status: "pending").filter { $0["attributes"]?["attempts"] == 0 }
    }
}
