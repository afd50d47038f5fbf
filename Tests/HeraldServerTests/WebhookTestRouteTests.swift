import Foundation
import HeraldCore
import Testing

@Suite struct WebhookTestRouteTests {
    @Test(arguments: Backend.allCases)
    func testMessageAnswersTheEndpointsStatusAndBody(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { _, _ in
            .init(status: .accepted, body: "{\n  \"success\": true\n}")
        }
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let reply = try await api.call(
                .post, "/api/v1/webhooks/test", key: world.admin,
                body: [
                    "webhook": [
                        "callback_url": .string(receiver.url + "/t"), "event_mask": "booking;ari", "send_data": true,
                        "headers": ["X-Secret": "1"], "request_params": ["a": "b"],
                        "property_id": .string(world.property.text),
                        "signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                    ]
                ])
            #expect(reply.status == .ok)
            #expect(reply.json["status_code"] == 202)
            #expect(reply.json["body"] == "{\n  \"success\": true\n}")
            #expect(reply.json["duration_ms"] != nil)
            let request = try await receiver.waitFor(1)[0]
            try StandardWebhooksVerifier.verify(request, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            #expect(request.header("X-Secret") == "1")
            #expect(request.query == "a=b")
            let body = try JSONValue.decode(request.body)
            #expect(body["event"] == "booking")
            #expect(body["payload"]?["booking_id"] != nil)
            #expect(body["property_id"] == .string(world.property.text))
            // Nothing was saved.
            #expect(try await api.call(.get, "/api/v1/webhooks", key: world.admin).json["meta"]?["total"] == 0)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func unreachableEndpointAnswers200WithStatusZeroAndTheCause(_ backend: Backend) async throws {
        let refusing = try RefusingPort()
        var herald = try await TestHerald(backend)
        herald.configuration.timeouts = .init(connect: .seconds(20), total: .seconds(30))
        try await herald.run { api in
            let world = try await api.world()
            let reply = try await api.call(
                .post, "/api/v1/webhooks/test", key: world.admin,
                body: ["webhook": ["callback_url": .string("http://127.0.0.1:\(refusing.port)/"), "event_mask": "*"]])
            #expect(reply.status == .ok)
            #expect(reply.json["status_code"] == 0)
            #expect(reply.json["error"] == "connection refused")
            // Refused at once, not retried until the 20 s connect timeout.
            #expect(try #require(reply.json["duration_ms"]?.intValue) < 10_000)
        }
    }

    @Test(arguments: Backend.allCases)
    func testMessageWithoutSendDataCarriesNoPayload(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let reply = try await api.call(
                .post, "/api/v1/webhooks/test", key: world.admin,
                body: ["webhook": ["callback_url": .string(receiver.url), "event_mask": "message"]])
            let secret = try #require(reply.json["signing_secret"]?.stringValue)
            let request = try await receiver.waitFor(1)[0]
            try StandardWebhooksVerifier.verify(request, secret: secret)
            let body = try JSONValue.decode(request.body)
            #expect(body["event"] == "message")
            #expect(body["payload"] == nil)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func invalidTestWebhookIs422(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let reply = try await api.call(
                .post, "/api/v1/webhooks/test", key: world.admin, body: ["webhook": ["callback_url": "gopher://x"]])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.details?["callback_url"] != nil)
            #expect(reply.details?["event_mask"] == ["can't be blank"])
        }
    }
}

@Suite struct DeadEndpointTests {
    /// A delivery to a port nobody listens on ends its attempt at once: it does not hold a slot
    /// for the connect timeout.
    @Test(arguments: Backend.allCases)
    func aRefusedConnectionEndsTheDeliveryAttemptAtOnce(_ backend: Backend) async throws {
        let refusing = try RefusingPort()
        var herald = try await TestHerald(backend)
        herald.configuration.timeouts = .init(connect: .seconds(20), total: .seconds(30))
        try await herald.run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: "http://127.0.0.1:\(refusing.port)/dead")
            _ = try await api.publish(world, "booking_new")
            let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            let tried = try await api.waitForDelivery(id) { $0["attempts"] == 1 }
            #expect(tried["last_error"] == "connection refused")
            let shown = try await api.call(.get, "/api/v1/deliveries/\(id)", key: world.admin)
            let attempt = try #require(shown.attributes?["attempt_log"]?.arrayValue?.first)
            #expect(try #require(attempt["duration_ms"]?.intValue) < 10_000)
        }
    }
}

@Suite struct SavedWebhookTestTests {
    /// `POST /api/v1/webhooks/{id}/test`: a test message signed with the webhook's own secret,
    /// with its headers and parameters, even while it is inactive; nothing is stored.
    @Test(arguments: Backend.allCases)
    func aSavedWebhookIsTestedWithItsOwnSecret(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { _, _ in .init(status: .ok, body: "fine") }
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let created = try await api.webhook(
                key: world.admin, property: world.property, url: receiver.url + "/saved", mask: "booking_new",
                ["headers": ["X-Team": "ops"], "request_params": ["k": "v"], "send_data": true])
            let id = try #require(created.id)
            let secret = try #require(created.attributes?["signing_secret"]?.stringValue)
            let reply = try await api.call(.post, "/api/v1/webhooks/\(id.text)/test", key: world.admin)
            #expect(reply.status == .ok)
            #expect(reply.json["status_code"] == 200)
            #expect(reply.json["body"] == "fine")
            #expect(reply.json["signing_secret"] == nil)
            let request = try await receiver.waitFor(1)[0]
            try StandardWebhooksVerifier.verify(request, secret: secret)
            #expect(request.header("X-Team") == "ops")
            #expect(request.query == "k=v")
            #expect(try JSONValue.decode(request.body)["event"] == "booking_new")
            #expect(try await api.call(.get, "/api/v1/events", key: world.admin).json["meta"]?["total"] == 0)
            #expect(try await api.call(.get, "/api/v1/deliveries", key: world.admin).json["meta"]?["total"] == 0)

            let typo = try await api.call(
                .post, "/api/v1/webhooks/\(id.text)/test", key: world.admin, body: ["evnet": "x"])
            #expect(typo.status == .unprocessableContent)
            let stranger = try await api.key(.admin, in: try await api.tenant("Other"))
            #expect(try await api.call(.post, "/api/v1/webhooks/\(id.text)/test", key: stranger).status == .notFound)
        }
        await receiver.stop()
    }
}
