import Foundation
import HTTPTypes
import HeraldCore
import Testing

/// `GET /api/v1/event_types`: every event a webhook can subscribe to, and errors that point there.
@Suite struct EventTypeTests {
    @Test func everyKnownEventIsListedWithAGroupADescriptionAndASamplePayload() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let reply = try await api.call(.get, "/api/v1/event_types", key: world.publisher)
            #expect(reply.status == .ok)
            let names = reply.items.compactMap { $0["attributes"]?["name"]?.stringValue }
            #expect(names == EventCatalog.names)
            for item in reply.items {
                let attributes = try #require(item["attributes"])
                #expect(item["type"] == "event_type")
                #expect(attributes["group"]?.stringValue?.isEmpty == false)
                #expect(attributes["description"]?.stringValue?.isEmpty == false)
                #expect(attributes["sample_payload"] != nil && attributes["sample_payload"] != .null)
            }
            #expect(reply.json["meta"]?["total"] == .int(Int64(names.count)))
            #expect(reply.json["meta"]?["event_mask"]?.stringValue?.contains("separated by ';'") == true)

            let octo = try await api.call(.get, "/api/v1/event_types?filter%5Bdialect%5D=octo", key: world.admin)
            #expect(octo.items.compactMap { $0["id"]?.stringValue } == EventCatalog.octo)
            let booking = try await api.call(.get, "/api/v1/event_types/booking.updated", key: world.admin)
            #expect(booking.json["data"]?["id"] == "booking_update")
            #expect(booking.json["data"]?["attributes"]?["sample_payload"]?["booking"]?["status"] == "CONFIRMED")
            let bad = try await api.call(.get, "/api/v1/event_types?filter%5Bgroup%5D=nope", key: world.admin)
            #expect(bad.status == .unprocessableContent)
            #expect(try await api.call(.get, "/api/v1/event_types/nope", key: world.admin).status == .notFound)
            #expect(try await api.call(.get, "/api/v1/event_types", key: nil).status == .unauthorized)
        }
    }

    /// Each sample payload, published as it is listed, is accepted.
    @Test func theSamplePayloadsArePublishable() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let list = try await api.call(.get, "/api/v1/event_types", key: world.publisher)
            for item in list.items where item["attributes"]?["group"] != "herald" {
                let name = try #require(item["attributes"]?["name"]?.stringValue)
                let payload = try #require(item["attributes"]?["sample_payload"])
                let reply = try await api.call(
                    .post, "/api/v1/events", key: world.publisher,
                    body: [
                        "event": [
                            "name": .string(name), "property_id": .string(world.property.text), "payload": payload,
                        ]
                    ])
                #expect(reply.status == .accepted, "\(name): \(reply.json)")
            }
        }
    }

    @Test(arguments: [
        ("booking,ari", "separate events with ';', not ','"),
        ("booking_nwe", "did you mean `booking_new`?"),
        ("booking;;ari", "has an empty item between ';'"),
    ])
    func maskErrorsNameTheFormAndTheSeparator(mask: String, says: String) async throws {
        try await TestHerald().run { api in
            let property = try await api.property(in: try await api.tenant())
            let reply = try await api.webhook(key: api.admin, property: property, mask: mask)
            #expect(reply.status == .unprocessableContent)
            let message = reply.details?["event_mask"]?.arrayValue?.first?.stringValue ?? ""
            #expect(message.contains(says), "\(message)")
            #expect(message.contains("a mask is '*' or event names separated by ';'"), "\(message)")
        }
    }

    /// Herald publishes `webhook_disabled` into the tenant's stream when it disables a webhook:
    /// a webhook that names it receives it, one with `*` does not, and publishers cannot post it.
    @Test func aDisabledWebhookIsAnnouncedToWebhooksThatNameTheEvent() async throws {
        let gone = try await TestReceiver.start { _, _ in .init(status: .gone) }
        let watcher = try await TestReceiver.start()
        let everything = try await TestReceiver.start()
        try await TestHerald().run { api in
            let world = try await api.world()
            let dead = try await api.activeWebhook(
                in: world, url: gone.url + "/hooks/path-token?token=query-token", mask: "booking_new")
            _ = try await api.activeWebhook(in: world, url: watcher.url, mask: "webhook_disabled;webhook_circuit_open")
            _ = try await api.activeWebhook(in: world, url: everything.url, mask: "*")
            _ = try await api.publish(world, "booking_new")
            let announced = try await watcher.waitFor(1)[0]
            let body = try JSONValue.decode(announced.body)
            #expect(body["event"] == "webhook_disabled")
            #expect(body["payload"]?["webhook_id"] == .string(dead.id.text))
            #expect(body["payload"]?["reason"]?.stringValue?.contains("410") == true)
            // Named by its origin only: the path and query may hold credentials, and events are kept in clear.
            #expect(body["payload"]?["callback_url"] == .string(gone.url))
            try await api.waitUntilSettled()
            #expect(everything.requests.allSatisfy { (try? JSONValue.decode($0.body))?["event"] == "booking_new" })
            let spoof = try await api.publish(world, "webhook_disabled")
            #expect(spoof.status == .unprocessableContent)
        }
        for receiver in [gone, watcher, everything] { await receiver.stop() }
    }
}
