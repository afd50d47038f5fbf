import Foundation
import HTTPTypes
import HeraldCore
import Testing

@Suite struct EventIngestTests {
    @Test(arguments: Backend.allCases)
    func repeatedIdempotencyKeyAnswersTheFirstEventAndCreatesNothing(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url)
            let first = try await api.publish(world, "booking_new", ["idempotency_key": "rev-1"])
            let again = try await api.publish(world, "booking_new", ["idempotency_key": "rev-1"])
            #expect(first.status == .accepted)
            #expect(again.status == .accepted)
            #expect(again.id == first.id)
            #expect(again.attributes?["replayed"] == true)
            #expect(again.attributes?["deliveries"] == 1)
            try await receiver.waitFor(1)
            try await api.waitUntilSettled()
            #expect(receiver.requests.count == 1)
            #expect(try await api.deliveries(of: hook.id).count == 1)
            // Keys are per tenant: another tenant may use the same one.
            let other = try await api.world()
            let theirs = try await api.publish(other, "booking_new", ["idempotency_key": "rev-1"])
            #expect(theirs.id != first.id)
        }
        await receiver.stop()
    }

    /// The `Idempotency-Key` header works as the body's `idempotency_key`; in a batch it keys each
    /// event by its place.
    @Test func theIdempotencyKeyHeaderWorksLikeTheBodyField() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let header: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "req-7"]
            let event: JSONValue = ["event": ["name": "booking_new", "property_id": .string(world.property.text)]]
            let first = try await api.call(.post, "/api/v1/events", key: world.publisher, body: event, headers: header)
            let again = try await api.call(.post, "/api/v1/events", key: world.publisher, body: event, headers: header)
            #expect(first.status == .accepted)
            #expect(first.attributes?["idempotency_key"] == "req-7")
            #expect(again.id == first.id)
            #expect(again.attributes?["replayed"] == true)
            let clash = try await api.publish(world, "booking_new", ["idempotency_key": "other"])
            #expect(clash.status == .accepted)
            let differs = try await api.call(
                .post, "/api/v1/events", key: world.publisher,
                body: ["event": ["name": "booking_new", "idempotency_key": "other"]], headers: header)
            #expect(differs.details?["idempotency_key"] == ["differs from the Idempotency-Key header"])

            let batch: JSONValue = ["events": [["name": "booking_new"], ["name": "ari", "idempotency_key": "own"]]]
            let batchHeader: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "batch-1"]
            let posted = try await api.call(
                .post, "/api/v1/events/batch", key: world.publisher, body: batch, headers: batchHeader)
            #expect(posted.items.map { $0["attributes"]?["idempotency_key"] } == ["batch-1/0", "own"])
            let replay = try await api.call(
                .post, "/api/v1/events/batch", key: world.publisher, body: batch, headers: batchHeader)
            #expect(replay.items.allSatisfy { $0["attributes"]?["replayed"] == true })
            let long: HTTPFields = [HTTPField.Name("Idempotency-Key")!: String(repeating: "k", count: 241)]
            let tooLong = try await api.call(.post, "/api/v1/events", key: world.publisher, body: event, headers: long)
            #expect(tooLong.status == .unprocessableContent)
        }
    }

    @Test(arguments: Backend.allCases)
    func demoModeTenantsStoreEventsButDeliverNothing(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world(demoMode: true)
            let hook = try await api.activeWebhook(in: world, url: receiver.url)
            let reply = try await api.publish(world, "booking_new")
            #expect(reply.status == .accepted)
            #expect(reply.attributes?["deliveries"] == 0)
            let stored = try await api.store.event(id: try #require(reply.id))
            #expect(stored?.name == "booking_new")
            // No delivery exists and none is due: nothing can be sent.
            #expect(try await api.deliveries(of: hook.id).isEmpty)
            #expect(try await api.store.nextDueDate() == nil)
            #expect(receiver.requests.isEmpty)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func batchStoresEveryEventAndAnswersEach(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            _ = try await api.activeWebhook(in: world, url: receiver.url, mask: "booking_new")
            let events: [JSONValue] = (0..<50).map { n in
                [
                    "name": n % 2 == 0 ? "booking_new" : "message", "property_id": .string(world.property.text),
                    "payload": ["n": .int(Int64(n))],
                ]
            }
            let reply = try await api.call(
                .post, "/api/v1/events/batch", key: world.publisher, body: ["events": .array(events)])
            #expect(reply.status == .accepted)
            #expect(reply.items.count == 50)
            #expect(reply.items.filter { $0["attributes"]?["deliveries"] == 1 }.count == 25)
            try await receiver.waitFor(25)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func aBatchWithOneBadEventStoresNothing(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let events: [JSONValue] = [
                ["name": "booking_new", "property_id": .string(world.property.text)],
                ["name": "not_an_event"],
            ]
            let reply = try await api.call(
                .post, "/api/v1/events/batch", key: world.publisher, body: ["events": .array(events)])
            #expect(reply.status == .unprocessableContent)
            #expect(
                reply.details?["events[1].name"] == ["is not a known event (GET /api/v1/event_types lists them all)"])
            let tooMany = try await api.call(
                .post, "/api/v1/events/batch", key: world.publisher,
                body: ["events": .array(Array(repeating: ["name": "ari"], count: 1001))])
            #expect(tooMany.status == .unprocessableContent)
        }
    }

    @Test(arguments: Backend.allCases)
    func eventsAreValidated(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let foreign = try await api.property(in: try await api.tenant("Other"))
            let unknown = try await api.publish(world, "bogus")
            #expect(unknown.details?["name"] == ["is not a known event (GET /api/v1/event_types lists them all)"])
            let typo = try await api.publish(world, "booking_nwe")
            #expect(
                typo.details?["name"] == [
                    "is not a known event; did you mean `booking_new`? (GET /api/v1/event_types lists them all)"
                ])
            let badTime = try await api.publish(world, "booking_new", ["timestamp": "yesterday"])
            #expect(badTime.details?["timestamp"] != nil)
            let otherTenant = try await api.publish(world, "booking_new", property: .some(foreign))
            #expect(otherTenant.details?["property_id"] == ["not found"])
            let missing = try await api.call(.post, "/api/v1/events", key: world.publisher, body: ["event": [:]])
            #expect(missing.details?["name"] == ["can't be blank"])
        }
    }

    @Test(arguments: Backend.allCases)
    func onlyPublishersAndTenantAdminsPostEvents(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let user = try await api.key(.user, in: world.tenant)
            let body: JSONValue = ["event": ["name": "booking_new", "property_id": .string(world.property.text)]]
            #expect(try await api.call(.post, "/api/v1/events", key: user, body: body).status == .forbidden)
            #expect(try await api.call(.post, "/api/v1/events", key: api.admin, body: body).status == .forbidden)
            #expect(try await api.call(.post, "/api/v1/events", key: world.admin, body: body).status == .accepted)
            let scoped = try await api.key(
                .publisher, in: world.tenant, scope: [try await api.property(in: world.tenant)])
            let outOfScope = try await api.call(.post, "/api/v1/events", key: scoped, body: body)
            #expect(outOfScope.status == .unprocessableContent)
        }
    }
}
