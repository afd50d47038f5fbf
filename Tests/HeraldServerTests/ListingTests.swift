import Foundation
import HTTPTypes
import HeraldCore
import Testing

/// `GET /api/v1/events` and `GET /api/v1/deliveries`: a tenant's log, filtered and paginated.
@Suite struct ListingTests {
    @Test(arguments: Backend.allCases)
    func eventsAndDeliveriesAreListedNewestFirstWithFilters(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let own = try await api.activeWebhook(in: world, url: "https://example.com/own", mask: "booking_new")
            let global = try await api.activeWebhook(in: world, url: "https://example.com/all", property: .some(nil))
            let first = try #require(try await api.publish(world, "booking_new").id)
            _ = try await api.publish(world, "booking_cancellation")
            _ = try await api.publish(world, "ari", payload: [])
            // Another tenant's event shows nowhere.
            let stranger = try await api.world()
            _ = try await api.publish(stranger, "booking_new")

            let events = try await api.call(.get, "/api/v1/events", key: world.admin)
            #expect(events.status == .ok)
            #expect(events.json["meta"]?["total"] == 3)
            #expect(
                events.items.compactMap { $0["attributes"]?["name"]?.stringValue } == [
                    "ari", "booking_cancellation", "booking_new",
                ])
            let firstItem = try #require(events.items.last?["attributes"])
            #expect(firstItem["deliveries"] == 2)
            let counts = try #require(firstItem["delivery_counts"]?.objectValue)
            #expect(counts.values.compactMap(\.intValue).reduce(0, +) == 2)

            let named = try await api.call(.get, "/api/v1/events?filter%5Bname%5D=booking_new", key: world.admin)
            #expect(named.items.compactMap { $0["id"]?.stringValue } == [first.text])
            let later = try await api.call(
                .get, "/api/v1/events?filter%5Bsince%5D=2999-01-01T00:00:00Z", key: world.admin)
            #expect(later.json["meta"]?["total"] == 0)
            let paged = try await api.call(
                .get, "/api/v1/events?pagination%5Blimit%5D=1&pagination%5Bpage%5D=2", key: world.admin)
            #expect(paged.items.compactMap { $0["attributes"]?["name"]?.stringValue } == ["booking_cancellation"])
            let bad = try await api.call(
                .get, "/api/v1/events?filter%5Bname%5D=bookin_new&filter%5Buntil%5D=soon", key: world.admin)
            #expect(bad.status == .unprocessableContent)
            #expect(bad.details?["filter[until]"] == ["must be an ISO 8601 date-time"])
            #expect(bad.details?["filter[name]"]?.arrayValue?.first?.stringValue?.contains("booking_new") == true)

            let deliveries = try await api.call(.get, "/api/v1/deliveries", key: world.admin)
            #expect(deliveries.json["meta"]?["total"] == 4)
            let ofOwn = try await api.call(
                .get, "/api/v1/deliveries?filter%5Bwebhook_id%5D=\(own.id.text)", key: world.admin)
            #expect(ofOwn.items.map { $0["attributes"]?["webhook_id"] } == [.string(own.id.text)])
            let ofFirst = try await api.call(
                .get, "/api/v1/deliveries?filter%5Bevent_id%5D=\(first.text)", key: world.admin)
            #expect(
                Set(ofFirst.items.compactMap { $0["attributes"]?["webhook_id"]?.stringValue }) == [
                    own.id.text, global.id.text,
                ])
            let badStatus = try await api.call(.get, "/api/v1/deliveries?filter%5Bstatus%5D=done", key: world.admin)
            #expect(badStatus.status == .unprocessableContent)

            // A user key sees deliveries of its properties' webhooks only, never global ones.
            let user = try await api.key(.user, in: world.tenant, scope: [world.property])
            let theirs = try await api.call(.get, "/api/v1/deliveries", key: user)
            #expect(theirs.items.map { $0["attributes"]?["webhook_id"] } == [.string(own.id.text)])
            #expect(try await api.call(.get, "/api/v1/events", key: user).json["meta"]?["total"] == 3)
            #expect(try await api.call(.get, "/api/v1/events", key: world.publisher).status == .forbidden)
        }
    }
}
