import Clocks
import Foundation
import HTTPTypes
import HeraldCore
import Testing

@Suite struct DeliveryTests {
    @Test(arguments: Backend.allCases)
    func eventReachesItsWebhookSignedPerStandardWebhooks(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let url = receiver.url.replacingOccurrences(of: "http://", with: "http://pms:s3cret@") + "/hooks?x=1"
            let hook = try await api.activeWebhook(
                in: world, url: url, mask: "booking_new",
                ["request_params": ["token": "a b&c"], "headers": ["X-Channex-Webhook-Secret": "shh"]])
            let reply = try await api.publish(
                world, "booking_new", payload: ["booking_id": "b-1"],
                ["user_id": "u-7", "timestamp": "2021-12-24T00:00:00.0000Z"])
            #expect(reply.status == .accepted)
            #expect(reply.attributes?["deliveries"] == 1)
            let request = try #require(try await receiver.waitFor(1).first)
            try StandardWebhooksVerifier.verify(request, secret: hook.secret)
            #expect(request.path == "/hooks")
            #expect(request.query == "x=1&token=a%20b%26c")
            #expect(request.header("Content-Type") == "application/json")
            #expect(request.header("User-Agent")?.hasPrefix("Herald/") == true)
            #expect(request.header("X-Channex-Webhook-Secret") == "shh")
            #expect(request.header("Authorization") == "Basic " + Data("pms:s3cret".utf8).base64EncodedString())
            #expect(request.header("webhook-id")?.hasPrefix("msg_") == true)
            let body = try JSONValue.decode(request.body)
            #expect(
                body == [
                    "event": "booking_new", "payload": ["booking_id": "b-1"],
                    "property_id": .string(world.property.text),
                    "user_id": "u-7", "timestamp": "2021-12-24T00:00:00.000000Z",
                ])
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func sendDataFalseDropsThePayload(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            _ = try await api.activeWebhook(in: world, url: receiver.url, ["send_data": false])
            _ = try await api.publish(world, "booking_new")
            let body = try JSONValue.decode(try await receiver.waitFor(1)[0].body)
            #expect(body["payload"] == nil)
            #expect(body["event"] == "booking_new")
            #expect(body["user_id"] == .null)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func retriesOn500ThenSucceedsWithTheSameWebhookId(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { number, _ in
            number < 3 ? .init(status: .internalServerError, body: "boom \(number)") : .init()
        }
        var herald = try await TestHerald(backend)
        let clock = herald.withTestClock()
        try await herald.run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(
                in: world, url: receiver.url, ["retry_policy": ["schedule_seconds": [60, 60]]])
            _ = try await api.publish(world, "booking_new")
            let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            for tries in 1...2 {
                let pending = try await api.waitForDelivery(id) {
                    $0["attempts"] == .int(Int64(tries)) && $0["status"] == "pending"
                }
                #expect(pending["next_attempt_at"] != .null)
                // A minute (and its jitter) later, the next try goes out.
                await clock.advance(by: .seconds(70))
            }
            let delivery = try await api.waitForDelivery(id) { $0["status"] == "succeeded" }
            #expect(delivery["attempts"] == 3)
            let log = try #require(delivery["attempt_log"]?.arrayValue)
            #expect(log.map { $0["status_code"] } == [500, 500, 200])
            #expect(log[0]["response_body"] == "boom 1")
            let requests = receiver.requests
            #expect(requests.count == 3)
            #expect(Set(requests.map { $0.header("webhook-id") }).count == 1)
            for request in requests { try StandardWebhooksVerifier.verify(request, secret: hook.secret) }
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func a400IsFinalAndNotRetried(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { _, _ in .init(status: .badRequest, body: "nope") }
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(
                in: world, url: receiver.url, ["retry_policy": ["schedule_seconds": [1]]])
            _ = try await api.publish(world, "booking_new")
            let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            let delivery = try await api.waitForDelivery(id) { $0["status"] == "failed" }
            #expect(delivery["last_status_code"] == 400)
            #expect(delivery["next_attempt_at"] == .null)
            // Nothing is due any more, so nothing more will be sent.
            #expect(try await api.store.nextDueDate() == nil)
            #expect(receiver.requests.count == 1)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func a410DisablesTheWebhookWithAReason(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { _, _ in .init(status: .gone) }
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url)
            _ = try await api.publish(world, "booking_new")
            let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            _ = try await api.waitForDelivery(id) { $0["status"] == "failed" }
            let webhook = try await api.call(.get, "/api/v1/webhooks/\(hook.id.text)", key: api.admin)
            #expect(webhook.attributes?["is_active"] == false)
            #expect(webhook.attributes?["disabled_reason"]?.stringValue?.contains("410") == true)
            let later = try await api.publish(world, "booking_new")
            #expect(later.attributes?["deliveries"] == 0)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func redirectsAreNotFollowed(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { _, request in
            request.path == "/elsewhere"
                ? .init() : .init(status: .found, headers: [.location: "/elsewhere"])
        }
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url + "/start")
            _ = try await api.publish(world, "booking_new")
            let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            let delivery = try await api.waitForDelivery(id) { $0["attempts"] == 1 }
            #expect(delivery["last_status_code"] == 302)
            #expect(delivery["status"] == "pending")
            #expect(receiver.requests.map(\.path) == ["/start"])
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func aSlowEndpointTimesOutAndIsRetried(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { number, _ in
            number == 1 ? .init(delay: .seconds(4)) : .init()
        }
        var herald = try await TestHerald(backend)
        herald.configuration.timeouts = .init(connect: .seconds(1), total: .seconds(1))
        let clock = herald.withTestClock()
        try await herald.run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(
                in: world, url: receiver.url, ["retry_policy": ["schedule_seconds": [60]]])
            _ = try await api.publish(world, "booking_new")
            let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            _ = try await api.waitForDelivery(id) { $0["attempts"] == 1 && $0["status"] == "pending" }
            await clock.advance(by: .seconds(70))
            let delivery = try await api.waitForDelivery(id) { $0["status"] == "succeeded" }
            let log = try #require(delivery["attempt_log"]?.arrayValue)
            #expect(log.count == 2)
            #expect(log[0]["status_code"] == .null)
            #expect(log[0]["error"]?.stringValue?.contains("timeout") == true)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func a429WaitsForRetryAfter(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { number, _ in
            number == 1 ? .init(status: .tooManyRequests, headers: [.retryAfter: "600"]) : .init()
        }
        var herald = try await TestHerald(backend)
        let clock = herald.withTestClock()
        try await herald.run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(
                in: world, url: receiver.url, ["retry_policy": ["schedule_seconds": [1]]])
            _ = try await api.publish(world, "booking_new")
            let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            let waiting = try await api.waitForDelivery(id) { $0["attempts"] == 1 && $0["status"] == "pending" }
            let tried = try #require(waiting["attempt_log"]?.arrayValue?.first?["started_at"]?.stringValue)
            let next = try #require(waiting["next_attempt_at"]?.stringValue)
            // The schedule says a second; the receiver asked for ten minutes.
            let wait = try #require(Timestamp.parse(next)).timeIntervalSince(try #require(Timestamp.parse(tried)))
            #expect(wait >= 600 && wait < 700)
            await clock.advance(by: .seconds(700))
            _ = try await api.waitForDelivery(id) { $0["status"] == "succeeded" }
            #expect(receiver.requests.count == 2)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func aWebhookFailingLongerThanTheLimitIsDisabled(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { _, _ in .init(status: .serviceUnavailable) }
        var herald = try await TestHerald(backend)
        herald.configuration.dispatcher.lifecycle = DeliveryLifecycle(disableAfter: 3600)
        let clock = herald.withTestClock()
        try await herald.run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(
                in: world, url: receiver.url, ["retry_policy": ["schedule_seconds": [3700, 60, 60]]])
            _ = try await api.publish(world, "booking_new")
            let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            _ = try await api.waitForDelivery(id) { $0["attempts"] == 1 && $0["status"] == "pending" }
            await clock.advance(by: .seconds(4100))
            let delivery = try await api.waitForDelivery(id) { $0["status"] == "failed" }
            #expect(delivery["attempts"] == 2)
            let webhook = try await api.call(.get, "/api/v1/webhooks/\(hook.id.text)", key: api.admin)
            #expect(webhook.attributes?["is_active"] == false)
            #expect(webhook.attributes?["disabled_reason"]?.stringValue?.contains("no successful delivery") == true)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func rotatedSecretSignsBesideTheNewOneDuringTheGracePeriod(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url)
            let rotated = try await api.call(.post, "/api/v1/webhooks/\(hook.id.text)/secret/rotate", key: world.admin)
            #expect(rotated.status == .ok)
            let fresh = try #require(rotated.attributes?["signing_secret"]?.stringValue)
            #expect(fresh != hook.secret)
            #expect(
                rotated.attributes?["previous_secrets"]?.arrayValue?.first?["signing_secret"] == .string(hook.secret))
            _ = try await api.publish(world, "booking_new")
            let request = try await receiver.waitFor(1)[0]
            #expect(request.header("webhook-signature")?.split(separator: " ").count == 2)
            try StandardWebhooksVerifier.verify(request, secret: fresh)
            try StandardWebhooksVerifier.verify(request, secret: hook.secret)
        }
        await receiver.stop()
    }

    @Test func leasesOfADeadWorkerAreClaimedAgainAndEveryEventIsDelivered() async throws {
        let receiver = try await TestReceiver.start()
        var herald = try await TestHerald()
        herald.delivering = false
        let clock = herald.withTestClock()
        let store = herald.store
        let ids = try await herald.run(keepDatabase: true) { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url)
            for n in 0..<20 { _ = try await api.publish(world, "booking_new", payload: ["n": .int(Int64(n))]) }
            return try await api.deliveries(of: hook.id).compactMap { $0["id"]?.stringValue }
        }
        // A worker claims all the endpoint may take and dies mid-flight: its rows stay leased and
        // count against the endpoint's in-flight limit until they expire, so nothing is sent.
        let claimed = try await store.claimDue(owner: "dead-worker", now: herald.clock.now(), lease: 60, limit: 100)
        #expect(claimed.count == EndpointLimits.defaultMaxInFlight)
        #expect(try await store.claimDue(owner: "other", now: herald.clock.now(), lease: 60, limit: 100).isEmpty)
        // A new worker starts; once the leases expire it delivers every event.
        herald.delivering = true
        try await herald.reopen().run { _ in
            await clock.advance(by: .seconds(61))
            let requests = try await receiver.waitFor(20, timeout: .seconds(15))
            #expect(Set(requests.compactMap { $0.header("webhook-id") }) == Set(ids))
        }
        await receiver.stop()
    }

    @Test func gracefulShutdownLetsInFlightSendsFinish() async throws {
        let receiver = try await TestReceiver.start { _, _ in .init(delay: .seconds(1)) }
        let herald = try await TestHerald()
        let store = herald.store
        let id = try await herald.run(keepDatabase: true) { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url)
            _ = try await api.publish(world, "booking_new")
            try await receiver.waitFor(1)
            // The send is under way; leaving `run` stops the dispatcher now.
            return try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
        }
        let delivery = try await store.delivery(id: id)
        #expect(delivery?.status == .succeeded)
        #expect(delivery?.leaseOwner == nil)
        herald.removeDatabase()
        await receiver.stop()
    }
}
