import Foundation
import HeraldCore
import Testing

/// Matching rules, end to end: events in over HTTP, deliveries out to a real receiver.
@Suite struct FanOutTests {
    @Test(arguments: Backend.allCases)
    func bookingUmbrellaDeliversAsBooking(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            _ = try await api.activeWebhook(in: world, url: receiver.url, mask: "booking")
            _ = try await api.publish(world, "booking_cancellation")
            let body = try JSONValue.decode(try await receiver.waitFor(1)[0].body)
            #expect(body["event"] == "booking")
        }
        await receiver.stop()
    }

    /// An event to more webhooks than are made into deliveries at ingest: the 202 counts them all,
    /// and each endpoint receives it once.
    @Test func aDeferredFanOutReachesEveryWebhookOnce() async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald().run { api in
            let world = try await api.world()
            let count = DeferredFanOut.threshold + 1
            let now = Timestamp.now()
            try await api.store.insertWebhooks(
                try (0..<count).map { n in
                    Webhook(
                        tenantId: world.tenant, propertyId: world.property, isGlobal: false,
                        callbackURL: receiver.url + "/h\(n)", eventMask: try EventMask(parsing: "*"), isActive: true,
                        sendData: true, secrets: [SigningSecret(value: KeyMaterial.newSigningSecret())],
                        limits: EndpointLimits(maxInFlight: 4), createdAt: now, updatedAt: now)
                })
            let reply = try await api.publish(world, "booking_new")
            #expect(reply.status == .accepted)
            #expect(reply.attributes?["deliveries"] == .int(Int64(count)))
            let received = try await receiver.waitFor(count, timeout: .seconds(120))
            #expect(Set(received.map(\.path)).count == count)
            try await api.waitUntilSettled()
            #expect(receiver.requests.count == count)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func globalAndPropertyWebhookOnSameEndpointDeliverOnce(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let property = try await api.activeWebhook(in: world, url: receiver.url + "/same", mask: "booking_new")
            _ = try await api.activeWebhook(in: world, url: receiver.url + "/same", mask: "*", property: .some(nil))
            let reply = try await api.publish(world, "booking_new")
            #expect(reply.attributes?["deliveries"] == 1)
            _ = try await receiver.waitFor(1)
            #expect(try await api.deliveries(of: property.id).count == 1)
            // Another property of the tenant has no property webhook: the global one delivers.
            let other = try await api.property(in: world.tenant)
            let elsewhere = try await api.publish(world, "booking_new", property: .some(other))
            #expect(elsewhere.attributes?["deliveries"] == 1)
            try await receiver.waitFor(2)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func onlyActiveWebhooksOfTheEventsPropertyAndMaskReceive(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let other = try await api.property(in: world.tenant)
            _ = try await api.activeWebhook(in: world, url: receiver.url + "/match", mask: "booking_new;ari")
            _ = try await api.activeWebhook(in: world, url: receiver.url + "/inactive", ["is_active": false])
            _ = try await api.activeWebhook(in: world, url: receiver.url + "/other-property", property: .some(other))
            _ = try await api.activeWebhook(in: world, url: receiver.url + "/other-event", mask: "message")
            let stranger = try await api.world()
            _ = try await api.activeWebhook(in: stranger, url: receiver.url + "/other-tenant", property: .some(nil))
            let reply = try await api.publish(world, "booking_new")
            #expect(reply.attributes?["deliveries"] == 1)
            try await receiver.waitFor(1)
            try await api.waitUntilSettled()
            #expect(receiver.requests.map(\.path) == ["/match"])
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func ariFilterTrimsThePayloadAndSkipsWebhooksItLeavesEmpty(_ backend: Backend) async throws {
        let room = "27e24739-239c-4619-9c30-0dc390f5d7ac"
        let plan = "04c607e4-644d-45ea-ab1a-da920ee36e50"
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            _ = try await api.activeWebhook(in: world, url: receiver.url + "/rates", mask: "ari:rate:*:\(plan)")
            _ = try await api.activeWebhook(in: world, url: receiver.url + "/stops", mask: "ari:stop_sell:*:*")
            let payload: JSONValue = [
                ["date": "2021-12-02", "rate": 11100, "rate_plan_id": .string(plan), "room_type_id": .string(room)],
                ["date": "2021-12-02", "availability": 5, "room_type_id": .string(room)],
            ]
            let reply = try await api.publish(world, "ari", payload: payload)
            #expect(reply.attributes?["deliveries"] == 1)
            let request = try await receiver.waitFor(1)[0]
            #expect(request.path == "/rates")
            let body = try JSONValue.decode(request.body)
            #expect(body["payload"] == [payload.arrayValue![0]])
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func tenantWideEventsReachOnlyGlobalWebhooks(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            _ = try await api.activeWebhook(in: world, url: receiver.url + "/property")
            _ = try await api.activeWebhook(in: world, url: receiver.url + "/global", property: .some(nil))
            let reply = try await api.publish(world, "booking_new", property: .some(nil))
            #expect(reply.attributes?["deliveries"] == 1)
            #expect(try await receiver.waitFor(1).map(\.path) == ["/global"])
        }
        await receiver.stop()
    }
}
