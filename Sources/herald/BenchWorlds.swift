import Foundation
import HeraldCore

/// The bench's large worlds, written straight into a store: many webhooks for fan-out and matching.
enum BenchWorlds {
    /// Masks the matching world cycles through: some match the bench's `booking_new`, some do not.
    static let masks = ["*", "booking", "booking_new", "message", "review"]

    static func webhooks(
        tenantId: UUID, properties: [UUID], perProperty: Int, masks: [String] = masks, url: (Int) -> String, now: Date
    ) throws -> [Webhook] {
        var webhooks: [Webhook] = []
        webhooks.reserveCapacity(properties.count * perProperty)
        for (p, property) in properties.enumerated() {
            for n in 0..<perProperty {
                webhooks.append(
                    Webhook(
                        tenantId: tenantId, propertyId: property, isGlobal: false,
                        callbackURL: url(p * perProperty + n),
                        eventMask: try EventMask(parsing: masks[n % masks.count]), isActive: true, sendData: true,
                        secrets: [SigningSecret(value: KeyMaterial.newSigningSecret())], createdAt: now, updatedAt: now)
                )
            }
        }
        return webhooks
    }

    /// The cost of matching and storing an event among `webhooks` webhooks (ten per property) of
    /// one tenant, in µs per event. Every count starts from the same history (`history` events,
    /// cycling over the properties, which also caches every property's routes), so that only the
    /// number of webhooks differs; then batches of 100 events to random properties are timed.
    static func matching<Store: HeraldStore>(_ store: Store, webhooks count: Int, history: Int) async throws -> Double {
        let now = Date()
        let tenant = Tenant(name: "Matching", createdAt: now)
        try await store.insertTenant(tenant)
        let properties = (0..<max(1, count / 10)).map { n in
            Property(tenantId: tenant.id, title: "Hotel \(n)", createdAt: now)
        }
        // A few thousand webhooks at a time, as an API would add them: a world built whole would
        // put its own transient copy into the peak RSS the bench reports for the cache.
        for chunk in properties.chunks(of: 500) {
            try await store.insertProperties(Array(chunk))
            try await store.insertWebhooks(
                try webhooks(
                    tenantId: tenant.id, properties: chunk.map(\.id), perProperty: 10,
                    url: { "https://hooks\($0 % 97).example.com/h/\($0)" }, now: now))
        }
        func event(_ property: UUID) -> Event {
            Event(
                tenantId: tenant.id, propertyId: property, name: "booking_new", payload: ["booking_id": "b-1"],
                occurredAt: now, createdAt: now)
        }
        let warming = (0..<max(history, properties.count)).map { properties[$0 % properties.count].id }
        for chunk in warming.chunks(of: 100) {
            _ = try await store.ingest(chunk.map(event), tenantId: tenant.id, now: now)
        }
        var generator = SystemRandomNumberGenerator()
        let batches = 50
        let start = ContinuousClock.now
        for _ in 0..<batches {
            let events = (0..<100).map { _ in event(properties.randomElement(using: &generator)!.id) }
            _ = try await store.ingest(events, tenantId: tenant.id, now: now)
        }
        return (ContinuousClock.now - start).seconds * 1_000_000 / Double(batches * 100)
    }
}

extension Array {
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
