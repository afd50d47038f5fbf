import Foundation
import HeraldCore
import HeraldServer
import Testing

@Suite struct AdministrationTests {
    @Test func onlyPlatformAdminsCreateTenants() async throws {
        try await TestHerald().run { api in
            let tenant = try await api.tenant()
            let tenantAdmin = try await api.key(.admin, in: tenant)
            let reply = try await api.call(.post, "/api/v1/tenants", key: tenantAdmin, body: ["tenant": ["name": "X"]])
            #expect(reply.status == .forbidden)
            let list = try await api.call(.get, "/api/v1/tenants", key: tenantAdmin)
            #expect(list.items.map { $0["id"] } == [.string(tenant.text)])
            let blank = try await api.call(.post, "/api/v1/tenants", key: api.admin, body: ["tenant": ["name": " "]])
            #expect(blank.details?["name"] == ["can't be blank"])
        }
    }

    @Test func apiKeysAreShownOnceAndStoredAsHashes() async throws {
        let herald = try await TestHerald()
        try await herald.run { api in
            let tenant = try await api.tenant()
            let reply = try await api.call(
                .post, "/api/v1/api_keys", key: api.admin,
                body: ["api_key": ["role": "user", "tenant_id": .string(tenant.text)]])
            #expect(reply.status == .created)
            let key = try #require(reply.attributes?["key"]?.stringValue)
            let stored = try #require(try await herald.store.apiKey(hash: KeyMaterial.hash(apiKey: key)))
            #expect(stored.hash != key)
            #expect(stored.role == .user)
            let list = try await api.call(.get, "/api/v1/api_keys?filter[tenant_id]=\(tenant.text)", key: api.admin)
            #expect(list.items.first?["attributes"]?["key"] == nil)
        }
    }

    @Test func tenantAdminsManageKeysOfTheirOwnTenantOnly() async throws {
        try await TestHerald().run { api in
            let mine = try await api.tenant("Mine")
            let theirs = try await api.tenant("Theirs")
            let admin = try await api.key(.admin, in: mine)
            let foreignKey = try await api.call(
                .post, "/api/v1/api_keys", key: admin,
                body: ["api_key": ["role": "user", "tenant_id": .string(theirs.text)]])
            #expect(foreignKey.status == .unprocessableContent)
            let own = try await api.call(
                .post, "/api/v1/api_keys", key: admin, body: ["api_key": ["role": "publisher"]])
            #expect(own.status == .created)
            #expect(own.attributes?["tenant_id"] == .string(mine.text))
            let theirKeys = try await api.call(
                .get, "/api/v1/api_keys?filter[tenant_id]=\(theirs.text)", key: api.admin)
            _ = try await api.key(.user, in: theirs)
            let theirKey = try #require(
                try await api.call(.get, "/api/v1/api_keys?filter[tenant_id]=\(theirs.text)", key: api.admin).items
                    .first?["id"]?.stringValue)
            #expect(theirKeys.json["meta"]?["total"] == 0)
            #expect(try await api.call(.delete, "/api/v1/api_keys/\(theirKey)", key: admin).status == .notFound)
            let user = try await api.key(.user, in: mine)
            let byUser = try await api.call(.post, "/api/v1/api_keys", key: user, body: ["api_key": ["role": "admin"]])
            #expect(byUser.status == .forbidden)
        }
    }

    @Test func keyScopeMustNameTheTenantsProperties() async throws {
        try await TestHerald().run { api in
            let tenant = try await api.tenant()
            let foreign = try await api.property(in: try await api.tenant("Other"))
            let reply = try await api.call(
                .post, "/api/v1/api_keys", key: api.admin,
                body: [
                    "api_key": [
                        "role": "user", "tenant_id": .string(tenant.text), "property_ids": [.string(foreign.text)],
                    ]
                ])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.details?["property_ids"] != nil)
            let badRole = try await api.call(
                .post, "/api/v1/api_keys", key: api.admin,
                body: ["api_key": ["role": "root", "tenant_id": .string(tenant.text)]])
            #expect(badRole.details?["role"] != nil)
        }
    }

    @Test func propertiesAreListedWithinTheKeysScope() async throws {
        try await TestHerald().run { api in
            let tenant = try await api.tenant()
            let first = try await api.property(in: tenant, "First")
            let second = try await api.property(in: tenant, "Second")
            _ = try await api.property(in: try await api.tenant("Other"))
            let user = try await api.key(.user, in: tenant, scope: [second])
            let admin = try await api.key(.admin, in: tenant)
            #expect(try await api.call(.get, "/api/v1/properties", key: admin).json["meta"]?["total"] == 2)
            let scoped = try await api.call(.get, "/api/v1/properties", key: user)
            #expect(scoped.items.map { $0["id"] } == [.string(second.text)])
            #expect(try await api.call(.get, "/api/v1/properties/\(first.text)", key: user).status == .notFound)
            #expect(try await api.call(.delete, "/api/v1/properties/\(second.text)", key: user).status == .forbidden)
            let created = try await api.call(
                .post, "/api/v1/properties", key: admin, body: ["property": ["title": "Third"]])
            #expect(created.status == .created)
        }
    }

    @Test func bootstrapCreatesOneAdminKeyOnAnEmptyDatabaseOnly() async throws {
        let herald = try await TestHerald()
        // The test database was seeded with a known key, so no new one is made.
        #expect(try await AdminBootstrap.ensureAdminKey(in: herald.store, seed: nil) == nil)
        herald.removeDatabase()
    }
}
