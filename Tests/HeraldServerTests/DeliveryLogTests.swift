import Foundation
import HeraldCore
import Testing

@Suite struct DeliveryLogTests {
    @Test(arguments: Backend.allCases)
    func deliveryLogListsFiltersAndShowsAttempts(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { _, request in
            request.path == "/bad" ? .init(status: .badRequest) : .init()
        }
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url + "/bad")
            for _ in 0..<3 { _ = try await api.publish(world, "booking_new") }
            try await receiver.waitFor(3)
            let all = try await api.deliveries(of: hook.id)
            #expect(all.count == 3)
            try await api.waitUntilSettled()
            #expect(try await api.deliveries(of: hook.id, status: "failed").count == 3)
            #expect(try await api.deliveries(of: hook.id, status: "succeeded").isEmpty)
            let bad = try await api.call(
                .get, "/api/v1/webhooks/\(hook.id.text)/deliveries?filter[status]=odd", key: api.admin)
            #expect(bad.status == .unprocessableContent)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func manualRetryRedeliversASettledDelivery(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { number, _ in number == 1 ? .init(status: .badRequest) : .init() }
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url)
            _ = try await api.publish(world, "booking_new")
            let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            _ = try await api.waitForDelivery(id) { $0["status"] == "failed" }
            let retry = try await api.call(.post, "/api/v1/deliveries/\(id)/retry", key: world.admin)
            #expect(retry.status == .accepted)
            let delivered = try await api.waitForDelivery(id) { $0["status"] == "succeeded" }
            #expect(delivered["attempts"] == 2)
            let requests = try await receiver.waitFor(2)
            #expect(requests[0].header("webhook-id") == requests[1].header("webhook-id"))
        }
        await receiver.stop()
    }

    /// "Retry now": a delivery waiting for its next retry goes at once, not when its back-off ends.
    @Test(arguments: Backend.allCases)
    func retryNowSendsAPendingDeliveryWithoutWaitingForItsBackOff(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { number, _ in
            number == 1 ? .init(status: .serviceUnavailable) : .init()
        }
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url)
            _ = try await api.publish(world, "booking_new")
            let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            let waiting = try await api.waitForDelivery(id) { $0["status"] == "pending" && $0["attempts"] == 1 }
            #expect(waiting["next_attempt_at"] != .null)
            let retry = try await api.call(.post, "/api/v1/deliveries/\(id)/retry", key: world.admin)
            #expect(retry.status == .accepted)
            let delivered = try await api.waitForDelivery(id) { $0["status"] == "succeeded" }
            #expect(delivered["attempts"] == 2)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func recoverRequeuesFailedDeliveriesInTheWindow(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { number, _ in number <= 2 ? .init(status: .notFound) : .init() }
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url)
            let since = Timestamp.iso(Date().addingTimeInterval(-60))
            _ = try await api.publish(world, "booking_new")
            _ = try await api.publish(world, "booking_new")
            try await receiver.waitFor(2)
            for item in try await api.deliveries(of: hook.id) {
                _ = try await api.waitForDelivery(item["id"]!.stringValue!) { $0["status"] == "failed" }
            }
            let empty = try await api.call(
                .post, "/api/v1/webhooks/\(hook.id.text)/recover", key: world.admin,
                body: ["since": "2000-01-01T00:00:00Z", "until": "2000-01-02T00:00:00Z"])
            #expect(empty.json["meta"]?["requeued"] == 0)
            let reply = try await api.call(
                .post, "/api/v1/webhooks/\(hook.id.text)/recover", key: world.admin, body: ["since": .string(since)])
            #expect(reply.status == .ok)
            #expect(reply.json["meta"]?["requeued"] == 2)
            try await receiver.waitFor(4)
            let missing = try await api.call(
                .post, "/api/v1/webhooks/\(hook.id.text)/recover", key: world.admin, body: [:])
            #expect(missing.details?["since"] == ["can't be blank"])
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func anotherTenantsDeliveriesAreNotFound(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url)
            _ = try await api.publish(world, "booking_new")
            let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            let stranger = try await api.world()
            #expect(try await api.call(.get, "/api/v1/deliveries/\(id)", key: stranger.admin).status == .notFound)
            #expect(
                try await api.call(.post, "/api/v1/deliveries/\(id)/retry", key: stranger.admin).status == .notFound)
            #expect(
                try await api.call(.get, "/api/v1/webhooks/\(hook.id.text)/deliveries", key: stranger.admin).status
                    == .notFound)
            #expect(try await api.call(.get, "/api/v1/deliveries/msg_nope", key: world.admin).status == .notFound)
        }
        await receiver.stop()
    }
}
