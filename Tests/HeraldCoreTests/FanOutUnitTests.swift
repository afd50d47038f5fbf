import Foundation
import HeraldCore
import Testing

@Suite struct FanOutUnitTests {
    let tenant = UUID()
    let property = UUID()
    let now = Date()

    func webhook(
        _ mask: String, property: UUID?? = .none, url: String = "https://a.example/hook", active: Bool = true,
        tenant: UUID? = nil
    ) throws -> WebhookRoute {
        let scope = property ?? self.property
        return WebhookRoute(
            Webhook(
                tenantId: tenant ?? self.tenant, propertyId: scope, isGlobal: scope == nil, callbackURL: url,
                eventMask: try EventMask(parsing: mask), isActive: active, secrets: [], createdAt: now,
                updatedAt: now))
    }

    func event(_ name: String, property: UUID?? = .none, payload: JSONValue = [:]) -> Event {
        Event(
            tenantId: tenant, propertyId: property ?? self.property, name: name, payload: payload, occurredAt: now,
            createdAt: now)
    }

    @Test func matchesActiveWebhooksOfThePropertyAndGlobalOnes() throws {
        let hooks = [
            try webhook("*", url: "https://p.example"),
            try webhook("*", property: .some(nil), url: "https://g.example"),
            try webhook("*", property: .some(UUID()), url: "https://other.example"),
            try webhook("*", url: "https://off.example", active: false),
            try webhook("*", url: "https://stranger.example", tenant: UUID()),
            try webhook("message", url: "https://m.example"),
        ]
        let targets = FanOut.targets(of: event("booking_new"), among: hooks).map(\.route.endpoint)
        #expect(targets == ["https://p.example", "https://g.example"])
    }

    @Test func propertyWebhookWinsOverAGlobalOneOnTheSameEndpoint() throws {
        let hooks = [
            try webhook("*", property: .some(nil), url: "https://Same.example/hook/"),
            try webhook("booking_new", url: "https://same.example/hook"),
        ]
        let targets = FanOut.targets(of: event("booking_new"), among: hooks)
        #expect(targets.count == 1)
        #expect(targets.first?.route.isGlobal == false)
    }

    @Test func umbrellaMatchCarriesBookingAsTheName() throws {
        let deliveries = FanOut.deliveries(of: event("booking_modification"), among: [try webhook("booking")], now: now)
        #expect(deliveries.map(\.eventName) == ["booking"])
    }

    @Test func ariFilterThatKeepsNothingMakesNoDelivery() throws {
        let payload: JSONValue = [["availability": 1, "room_type_id": "27e24739-239c-4619-9c30-0dc390f5d7ac"]]
        let hooks = [try webhook("ari:rate:*:*"), try webhook("ari:availability:*:*", url: "https://b.example")]
        let deliveries = FanOut.deliveries(of: event("ari", payload: payload), among: hooks, now: now)
        #expect(deliveries.count == 1)
        #expect(deliveries.first?.ariFilters.first?.restrictions == ["availability"])
    }

    @Test func deliveriesGetDistinctMessageIds() throws {
        let hooks = [try webhook("*"), try webhook("*", url: "https://b.example")]
        let ids = FanOut.deliveries(of: event("booking_new"), among: hooks, now: now).map(\.id)
        #expect(Set(ids).count == 2)
        #expect(ids.allSatisfy { $0.hasPrefix("msg_") && !$0.contains(".") })
    }
}
