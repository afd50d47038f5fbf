import Clocks
import Foundation
import GRDB
import HeraldCore
import Testing

/// Old events go, with their deliveries and attempts, once those have settled; in bounded
/// batches; and a SQLite file under a steady load stops growing.
@Suite struct RetentionTests {
    @Test(arguments: Backend.allCases)
    func purgeTakesOldSettledEventsOnlyAndAtMostTheLimit(backend: Backend) async throws {
        try await backend.withStore { store in
            let start = Timestamp.now()
            let tenant = try await store.seedTenant(at: start)
            let property = Property(tenantId: tenant.id, title: "Hotel", createdAt: start)
            try await store.insertProperty(property)
            func publish(_ count: Int, at date: Date) async throws -> [IngestResult] {
                let events = (0..<count).map { _ in
                    Event(
                        tenantId: tenant.id, propertyId: property.id, name: "booking_new", payload: [:],
                        occurredAt: date, createdAt: date)
                }
                return try await store.ingest(events, tenantId: tenant.id, now: date)
            }
            // Five old events with no webhook (nothing to deliver), then a webhook: one old event
            // with a pending delivery, and two new ones.
            let old = try await publish(5, at: start.addingTimeInterval(-100))
            try await store.insertWebhook(try Webhook.active(tenant, property: property, at: start))
            let waiting = try await publish(1, at: start.addingTimeInterval(-100))
            #expect(waiting.first?.deliveries == 1)
            _ = try await publish(2, at: start)

            #expect(try await store.purge(before: start.addingTimeInterval(-50), limit: 3) == 3)
            #expect(try await store.purge(before: start.addingTimeInterval(-50), limit: 3) == 2)
            #expect(try await store.purge(before: start.addingTimeInterval(-50), limit: 3) == 0)
            for result in old { #expect(try await store.event(id: result.event.id) == nil) }
            #expect(try await store.event(id: waiting[0].event.id) != nil)
            #expect(try await store.listEvents(EventQuery(tenantId: tenant.id)).total == 3)
        }
    }

    /// The queue's depth for `/metrics`, each count capped.
    @Test(arguments: Backend.allCases)
    func queueStatsCountDueScheduledAndInFlightUpToTheCap(backend: Backend) async throws {
        try await backend.withStore { store in
            let start = Timestamp.now()
            let tenant = try await store.seedTenant(at: start)
            let property = Property(tenantId: tenant.id, title: "Hotel", createdAt: start)
            try await store.insertProperty(property)
            try await store.insertWebhook(try Webhook.active(tenant, property: property, at: start))
            let events = (0..<3).map { _ in
                Event(
                    tenantId: tenant.id, propertyId: property.id, name: "booking_new", payload: [:], occurredAt: start,
                    createdAt: start)
            }
            _ = try await store.ingest(events, tenantId: tenant.id, now: start)
            let now = try await store.queueStats(now: start.addingTimeInterval(5), cap: 100)
            #expect(
                now
                    == QueueStats(
                        dueNow: 3, scheduled: 0, inFlight: 0, oldestDue: start, dueByTenant: [tenant.id: 3]))
            let before = try await store.queueStats(now: start.addingTimeInterval(-5), cap: 100)
            #expect(before == QueueStats(dueNow: 0, scheduled: 3, inFlight: 0, oldestDue: nil))
            #expect(try await store.queueStats(now: start.addingTimeInterval(5), cap: 2).dueNow == 2)

            // A second tenant whose endpoint fails: one delivery in flight, then its circuit opens.
            let noisy = try await store.seedTenant("Noisy", at: start)
            let failing = try Webhook.active(noisy, url: "https://8.8.4.4/h", at: start)
            try await store.insertWebhook(failing)
            try await store.publishARI(noisy, at: start)
            let claimed = try await store.claimDue(owner: "w", now: start.addingTimeInterval(5), lease: 60, limit: 10)
            let job = try #require(claimed.first { $0.webhook.id == failing.id })
            let during = try await store.queueStats(now: start.addingTimeInterval(5), cap: 100)
            #expect(during.inFlight == 4 && during.dueByTenant.isEmpty)
            _ = try await store.settle([
                Settlement(
                    deliveryId: job.delivery.id, webhookId: failing.id, leaseOwner: "w",
                    attempt: DeliveryAttempt(
                        deliveryId: job.delivery.id, number: 1, startedAt: start.addingTimeInterval(5), durationMs: 5,
                        statusCode: 503, responseBody: nil, error: nil),
                    next: .retry(at: start.addingTimeInterval(6)), effect: .failing(since: start), signal: .unhealthy,
                    breaker: CircuitBreaker(threshold: 1))
            ])
            let after = try await store.queueStats(now: start.addingTimeInterval(10), cap: 100)
            #expect(after.openCircuits == 1 && after.openCircuitsByTenant == [noisy.id: 1])
            #expect(after.dueByTenant[noisy.id] == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func theBackgroundPurgeTakesDeliveriesAndAttemptsWithTheirEvents(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        var herald = try await TestHerald(backend)
        let clock = herald.withTestClock()
        herald.configuration.retention = Retention(age: 3_600, batch: 7, interval: 60)
        try await herald.run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url)
            for _ in 0..<20 { _ = try await api.publish(world, "booking_new") }
            try await receiver.waitFor(20)
            try await api.waitUntilSettled()
            let first = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            await clock.advance(by: .seconds(3_700))
            let gone = try await Self.purged(clock) {
                try await api.call(.get, "/api/v1/events", key: world.admin).json["meta"]?["total"] == 0
            }
            #expect(gone)
            #expect(try await api.call(.get, "/api/v1/deliveries", key: world.admin).json["meta"]?["total"] == 0)
            #expect(try await api.store.attempts(deliveryId: first).isEmpty)
            // What came after the cutoff stays.
            _ = try await api.publish(world, "booking_new")
            await clock.advance(by: .seconds(120))
            #expect(try await api.call(.get, "/api/v1/events", key: world.admin).json["meta"]?["total"] == 1)
        }
        await receiver.stop()
    }

    /// Round after round of events, each purged after the retention: the file reuses the pages
    /// the purge freed and stops growing.
    @Test func theSQLiteFileStopsGrowingUnderASteadyLoad() async throws {
        let receiver = try await TestReceiver.start()
        var herald = try await TestHerald()
        let clock = herald.withTestClock()
        herald.configuration.retention = Retention(age: 600, batch: 500, interval: 60)
        let path = herald.location + "/herald.sqlite"
        try await herald.run { api in
            let world = try await api.world()
            _ = try await api.activeWebhook(in: world, url: receiver.url)
            var sizes: [Int] = []
            var sent = 0
            for _ in 0..<6 {
                let events: [JSONValue] = (0..<300).map { n in
                    [
                        "name": "booking_new", "property_id": .string(world.property.text),
                        "payload": ["n": .int(Int64(n)), "note": .string(String(repeating: "x", count: 200))],
                    ]
                }
                let reply = try await api.call(
                    .post, "/api/v1/events/batch", key: world.publisher, body: ["events": .array(events)])
                #expect(reply.status == .accepted)
                sent += 300
                try await receiver.waitFor(sent, timeout: .seconds(60))
                try await api.waitUntilSettled()
                await clock.advance(by: .seconds(700))
                #expect(
                    try await Self.purged(clock) {
                        try await api.call(.get, "/api/v1/events", key: world.admin).json["meta"]?["total"] == 0
                    })
                let checkpoint = try DatabaseQueue(path: path)
                try await checkpoint.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                }
                try checkpoint.close()
                sizes.append(try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int))
            }
            // After the first rounds, the file holds steady: freed pages are reused. (A round
            // writes some 300 KB; a few pages of slack cover where the free pages fall.)
            #expect(sizes[5] <= sizes[2] + 8 * 4_096, "sizes \(sizes)")
        }
        await receiver.stop()
    }

    /// Moves the test clock a purge interval at a time (the service wakes at each of its
    /// deadlines in turn, so one long step wakes it only once, early) until `condition` holds.
    static func purged(_ clock: TestClock<Duration>, _ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if try await condition() { return true }
            await clock.advance(by: .seconds(61))
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}
