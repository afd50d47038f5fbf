import Foundation
import HeraldCore
import Testing

/// Every attempt runs under one deadline, body included: no receiver holds a delivery slot longer
/// than the request timeout, however it misbehaves.
@Suite struct BoundedAttemptTests {
    func herald(_ backend: Backend = .sqlite) async throws -> TestHerald {
        var herald = try await TestHerald(backend)
        herald.configuration.timeouts = .init(connect: .seconds(1), total: .seconds(1))
        // Retries would come a minute later: time stands still, so each test sees one attempt.
        _ = herald.withTestClock()
        return herald
    }

    /// Publishes one event to `url` and returns the settled first attempt.
    func firstAttempt(_ api: TestAPI, url: String) async throws -> JSONValue {
        let world = try await api.world()
        let hook = try await api.activeWebhook(in: world, url: url, ["retry_policy": ["schedule_seconds": [60]]])
        _ = try await api.publish(world, "booking_new")
        let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
        let delivery = try await api.waitForDelivery(id, timeout: .seconds(10)) {
            $0["attempts"] == 1 && $0["status"] == "pending"
        }
        return try #require(delivery["attempt_log"]?.arrayValue?.first)
    }

    @Test func aReceiverTricklingItsBodyIsCutOffAtTheDeadline() async throws {
        // Headers at once, then a byte every 200 ms: 20 s for the whole body.
        let receiver = try await TestReceiver.start { _, _ in
            .init(body: String(repeating: "x", count: 100), trickle: .milliseconds(200))
        }
        try await herald().run { api in
            let attempt = try await firstAttempt(api, url: receiver.url)
            #expect(attempt["status_code"] == .null)
            #expect(attempt["error"] == "timeout: no complete response in time")
            // Cut off at 1 s (with room for a loaded machine), not after the body's 20 s.
            let took = try #require(attempt["duration_ms"]?.intValue)
            #expect(took >= 900 && took < 10_000)
        }
        await receiver.stop()
    }

    @Test func aReceiverThatNeverAnswersIsCutOffAtTheDeadline() async throws {
        let hole = try BlackHole()
        defer { hole.close() }
        try await herald().run { api in
            let attempt = try await firstAttempt(api, url: hole.url)
            #expect(attempt["status_code"] == .null)
            #expect(attempt["error"]?.stringValue?.contains("timeout") == true)
            #expect(try #require(attempt["duration_ms"]?.intValue) < 10_000)
        }
    }

    @Test func theTestRouteIsBoundedByTheSameDeadline() async throws {
        let receiver = try await TestReceiver.start { _, _ in
            .init(body: String(repeating: "x", count: 100), trickle: .milliseconds(200))
        }
        try await herald().run { api in
            let world = try await api.world()
            let started = ContinuousClock.now
            let reply = try await api.call(
                .post, "/api/v1/webhooks/test", key: world.admin,
                body: ["webhook": ["callback_url": .string(receiver.url), "event_mask": "*"]])
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(reply.json["status_code"] == 0)
            #expect(reply.json["error"] == "timeout: no complete response in time")
        }
        await receiver.stop()
    }
}
