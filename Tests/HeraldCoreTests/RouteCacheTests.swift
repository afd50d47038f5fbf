import Foundation
import HeraldCore
import Testing

@Suite struct RouteCacheTests {
    let tenant = UUID()

    func routes(_ count: Int, property: UUID?) throws -> [WebhookRoute] {
        try (0..<count).map { n in
            WebhookRoute(
                id: UUID(), tenantId: tenant, propertyId: property, isGlobal: property == nil, isActive: true,
                receivesTestEvents: false, eventMask: try EventMask(parsing: "*"), callbackURL: "https://a.example/\(n)"
            )
        }
    }

    @Test func anEntryCachedAtAnotherVersionIsReadAgain() throws {
        let cache = RouteCache()
        let property = UUID()
        let first = cache.lookup(tenantId: tenant, propertyIds: [property], version: 1)
        #expect(first.found.isEmpty && first.missing.count == 2)
        let loaded = [
            RouteCache.Key(tenantId: tenant, propertyId: property): try routes(2, property: property),
            RouteCache.Key(tenantId: tenant, propertyId: nil): try routes(1, property: nil),
        ]
        cache.store(loaded, version: 1)
        let again = cache.lookup(tenantId: tenant, propertyIds: [property], version: 1)
        #expect(again.missing.isEmpty)
        let candidates = RouteCache.candidates(tenantId: tenant, propertyIds: [property, nil], scopes: again.found)
        #expect(candidates[property]?.count == 3)
        #expect(candidates[nil]?.count == 1)
        #expect(cache.lookup(tenantId: tenant, propertyIds: [property], version: 2).missing.count == 2)
        // A slower reader's older version never replaces a newer one.
        cache.store(loaded, version: 3)
        cache.store([RouteCache.Key(tenantId: tenant, propertyId: nil): []], version: 2)
        #expect(cache.lookup(tenantId: tenant, propertyIds: [], version: 3).found.values.first?.count == 1)
    }

    @Test func theCacheHoldsNoMoreThanItsBoundDroppingTheLeastRecentlyUsed() throws {
        let cache = RouteCache(maxRoutes: 100)
        let properties = (0..<30).map { _ in UUID() }
        for property in properties {
            cache.store(
                [RouteCache.Key(tenantId: tenant, propertyId: property): try routes(10, property: property)], version: 1
            )
            // The first property stays in use.
            _ = cache.lookup(tenantId: tenant, propertyIds: [properties[0]], version: 1)
            #expect(cache.count <= 100)
        }
        let first = cache.lookup(tenantId: tenant, propertyIds: [properties[0]], version: 1)
        #expect(first.found[RouteCache.Key(tenantId: tenant, propertyId: properties[0])]?.count == 10)
        #expect(cache.lookup(tenantId: tenant, propertyIds: [properties[1]], version: 1).missing.count == 2)
        // A scope larger than the bound is never held.
        cache.store([RouteCache.Key(tenantId: tenant, propertyId: nil): try routes(101, property: nil)], version: 1)
        #expect(cache.count <= 100)
    }
}
