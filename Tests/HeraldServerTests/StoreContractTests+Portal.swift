import Foundation
import HeraldCore
import Testing

/// The portal's store primitives, on every store: one-time links, sessions with expiry, and the
/// hourly delivery counts its charts draw.
extension StoreContractTests {
    @Test(arguments: Backend.allCases)
    func aPortalLinkOpensOnceWhileItLasts(backend: Backend) async throws {
        try await backend.withStore { store in
            let (tenant, property) = try await world(store)
            let (link, token) = try await PortalLink.issue(
                tenantId: tenant.id, role: nil, propertyIds: [property.id], lifetime: 600, createdBy: nil, now: now,
                in: store)
            #expect(link.role == .user)
            #expect(token.hasPrefix("hpl_") && link.tokenHash == KeyMaterial.hash(apiKey: token))
            #expect(try await store.portalLink(id: link.id) == link)
            let hash = KeyMaterial.hash(apiKey: token)
            // Expired, it does not open.
            #expect(try await store.redeemPortalLink(tokenHash: hash, now: now.addingTimeInterval(600)) == nil)
            // Eight at once: one gets it.
            let winners = try await withThrowingTaskGroup(of: PortalLink?.self) { group in
                for _ in 0..<8 { group.addTask { try await store.redeemPortalLink(tokenHash: hash, now: now) } }
                return try await group.reduce(into: [PortalLink]()) { if let link = $1 { $0.append(link) } }
            }
            #expect(winners.count == 1)
            #expect(winners.first?.usedAt == now)
            #expect(try await store.redeemPortalLink(tokenHash: hash, now: now) == nil)

            let (other, otherToken) = try await PortalLink.issue(
                tenantId: tenant.id, role: nil, propertyIds: nil, lifetime: nil, createdBy: nil, now: now, in: store)
            #expect(other.role == .admin && other.expiresAt == now.addingTimeInterval(3600))
            try await store.revokePortalLink(id: other.id, at: now)
            #expect(
                try await store.redeemPortalLink(tokenHash: KeyMaterial.hash(apiKey: otherToken), now: now) == nil)
            await #expect(throws: StoreError.notFound) { try await store.revokePortalLink(id: UUID(), at: now) }
            let listed = try await store.listPortalLinks(tenantId: tenant.id, page: PageRequest())
            #expect(listed.total == 2)
            #expect(try await store.listPortalLinks(tenantId: UUID(), page: PageRequest()).total == 0)

            // The rules of an API key of that scope.
            await #expect(throws: ValidationErrors.self) {
                try await PortalLink.issue(
                    tenantId: tenant.id, role: .admin, propertyIds: [property.id], lifetime: nil, createdBy: nil,
                    now: now, in: store)
            }
            let (stranger, _) = try await world(store)
            await #expect(throws: ValidationErrors("property_ids", "\(property.id.text) not found")) {
                try await PortalLink.issue(
                    tenantId: stranger.id, role: nil, propertyIds: [property.id], lifetime: nil, createdBy: nil,
                    now: now, in: store)
            }
            // Links go once they expired before the time given, not before.
            #expect(try await store.purgePortal(sessionsBefore: now, linksBefore: now, limit: 10) == 0)
            #expect(try await store.portalLink(id: link.id) != nil)
            let past = link.expiresAt.addingTimeInterval(1)
            #expect(try await store.purgePortal(sessionsBefore: now, linksBefore: past, limit: 10) == 1)
            #expect(try await store.portalLink(id: link.id) == nil)
            #expect(try await store.portalLink(id: other.id) != nil)
            // A tenant's links go with it.
            try await store.deleteTenant(id: tenant.id)
            #expect(try await store.portalLink(id: other.id) == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func portalSessionsExpireAndArePurged(backend: Backend) async throws {
        try await backend.withStore { store in
            let later = now.addingTimeInterval(60)
            #expect(try await store.putPortalSession(key: "k1", value: "v1", expiresAt: later, .create))
            #expect(try await store.putPortalSession(key: "k1", value: "v2", expiresAt: later, .create) == false)
            #expect(try await store.portalSession(key: "k1", now: now)?.value == "v1")
            // Without an expiry the stored one stays.
            #expect(try await store.putPortalSession(key: "k1", value: "v3", expiresAt: nil, .update))
            #expect(try await store.portalSession(key: "k1", now: now)?.expiresAt == later)
            #expect(
                try await store.putPortalSession(key: "missing", value: "v", expiresAt: nil, .update) == false)
            #expect(try await store.portalSession(key: "missing", now: now) == nil)
            // An expiry moves it.
            let further = now.addingTimeInterval(120)
            #expect(try await store.putPortalSession(key: "k1", value: "v4", expiresAt: further, .update))
            // Update never brings back a deleted session; replace writes it whatever.
            #expect(try await store.putPortalSession(key: "gone", value: "v", expiresAt: further, .update) == false)
            #expect(try await store.putPortalSession(key: "k4", value: "v", expiresAt: later, .replace))
            #expect(try await store.putPortalSession(key: "k4", value: "w", expiresAt: later, .replace))
            #expect(try await store.portalSession(key: "k4", now: now)?.value == "w")
            try await store.deletePortalSession(key: "k4")
            #expect(try await store.portalSession(key: "k1", now: later)?.value == "v4")
            #expect(try await store.portalSession(key: "k1", now: further) == nil)
            #expect(try await store.putPortalSession(key: "k2", value: "v", expiresAt: later, .create))
            let end = further.addingTimeInterval(1)
            #expect(try await store.purgePortal(sessionsBefore: end, linksBefore: now, limit: 1) == 1)
            #expect(try await store.purgePortal(sessionsBefore: end, linksBefore: now, limit: 10) == 1)
            #expect(try await store.purgePortal(sessionsBefore: end, linksBefore: now, limit: 10) == 0)
            #expect(try await store.putPortalSession(key: "k3", value: "v", expiresAt: later, .create))
            try await store.deletePortalSession(key: "k3")
            #expect(try await store.portalSession(key: "k3", now: now) == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func deliveriesAreCountedByHourAndStatus(backend: Backend) async throws {
        try await backend.withStore { store in
            let (tenant, property) = try await world(store)
            let hook = try webhook(tenant, property)
            let other = try webhook(tenant, property)
            try await store.insertWebhooks([hook, other])
            for _ in 0..<3 { _ = try await store.ingest([event(tenant, property)], tenantId: tenant.id, now: now) }
            let counts = try await store.deliveryCounts(webhookIds: [hook.id], since: now.addingTimeInterval(-3600))
            let hour = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
            #expect(counts == [DeliveryCount(webhookId: hook.id, hour: hour, status: .pending, count: 3)])
            #expect(try await store.deliveryCounts(webhookIds: [hook.id], since: now.addingTimeInterval(1)).isEmpty)
            #expect(try await store.deliveryCounts(webhookIds: [], since: now).isEmpty)
            let both = try await store.deliveryCounts(
                webhookIds: [hook.id, other.id], since: now.addingTimeInterval(-1))
            #expect(both.map(\.count).reduce(0, +) == 6)
        }
    }
}
