import Foundation
import HTTPTypes
import HeraldCore
import Testing

@testable import HeraldServer

@Suite struct AccessTests {
    @Test func noKeyOrUnknownKeyAnswers401InChannexShape() async throws {
        try await TestHerald().run { api in
            for key in [nil, "hrld_unknown", ""] as [String?] {
                let reply = try await api.call(.get, "/api/v1/webhooks", key: key)
                #expect(reply.status == .unauthorized)
                #expect(reply.json == ["errors": ["code": "unauthorized", "title": "Unauthorized"]])
            }
        }
    }

    @Test func bearerAuthorizationWorksLikeUserAPIKey() async throws {
        try await TestHerald().run { api in
            let reply = try await api.call(
                .get, "/api/v1/webhooks", key: nil, headers: [.authorization: "Bearer \(TestHerald.adminKey)"])
            #expect(reply.status == .ok)
        }
    }

    @Test(arguments: [
        ("Bearer \(TestHerald.adminKey)", HTTPResponse.Status.ok),
        ("bearer \(TestHerald.adminKey)", .ok),
        ("BEARER \t \(TestHerald.adminKey) ", .ok),
        ("Bearer", .unauthorized),
        ("Bearer   ", .unauthorized),
        ("Basic \(TestHerald.adminKey)", .unauthorized),
        ("Bearerx \(TestHerald.adminKey)", .unauthorized),
        ("\(TestHerald.adminKey)", .unauthorized),
    ])
    func authorizationSchemeIsCaseInsensitiveAndBlanksAroundTheKeyDoNotCount(
        header: String, status: HTTPResponse.Status
    ) async throws {
        try await TestHerald().run { api in
            let reply = try await api.call(.get, "/api/v1/webhooks", key: nil, headers: [.authorization: header])
            #expect(reply.status == status, "\(header)")
            let userKey = try await api.call(
                .get, "/api/v1/webhooks", key: nil,
                headers: [HTTPField.Name("user-api-key")!: " \(TestHerald.adminKey)\t"])
            #expect(userKey.status == .ok)
        }
    }

    @Test func anotherTenantsWebhookAnswers404() async throws {
        try await TestHerald().run { api in
            let mine = try await api.tenant("Mine")
            let theirs = try await api.tenant("Theirs")
            let theirProperty = try await api.property(in: theirs)
            let id = try #require(try await api.webhook(key: api.admin, property: theirProperty).id)
            let myAdmin = try await api.key(.admin, in: mine)
            for method in [.get, .put, .delete] as [HTTPRequest.Method] {
                let reply = try await api.call(
                    method, "/api/v1/webhooks/\(id.text)", key: myAdmin, body: ["webhook": ["is_active": true]])
                #expect(reply.status == .notFound)
                #expect(reply.errorCode == "resource_not_found")
            }
            let secret = try await api.call(.get, "/api/v1/webhooks/\(id.text)/secret", key: myAdmin)
            #expect(secret.status == .notFound)
            let list = try await api.call(.get, "/api/v1/webhooks", key: myAdmin)
            #expect(list.json["meta"]?["total"] == 0)
            let untouched = try await api.call(.get, "/api/v1/webhooks/\(id.text)", key: api.admin)
            #expect(untouched.attributes?["is_active"] == false)
        }
    }

    @Test func userKeySeesOnlyWebhooksOfPropertiesInScopeAndNoGlobalOnes() async throws {
        try await TestHerald().run { api in
            let tenant = try await api.tenant()
            let inScope = try await api.property(in: tenant)
            let outOfScope = try await api.property(in: tenant)
            let visible = try #require(try await api.webhook(key: api.admin, property: inScope).id)
            let hidden = try #require(try await api.webhook(key: api.admin, property: outOfScope).id)
            let global = try #require(
                try await api.webhook(
                    key: api.admin, property: nil, ["is_global": true, "tenant_id": .string(tenant.text)]
                ).id)
            let user = try await api.key(.user, in: tenant, scope: [inScope])
            let list = try await api.call(.get, "/api/v1/webhooks", key: user)
            #expect(list.items.compactMap { $0["id"]?.stringValue } == [visible.text])
            #expect(try await api.call(.get, "/api/v1/webhooks/\(hidden.text)", key: user).status == .notFound)
            #expect(try await api.call(.get, "/api/v1/webhooks/\(global.text)", key: user).status == .notFound)
            #expect(try await api.call(.delete, "/api/v1/webhooks/\(hidden.text)", key: user).status == .notFound)
            let create = try await api.webhook(key: user, property: outOfScope)
            #expect(create.status == .unprocessableContent)
            #expect(create.details?["property_id"] == ["not found"])
            #expect(try await api.webhook(key: user, property: inScope).status == .created)
        }
    }

    @Test func unscopedUserKeyReachesEveryPropertyOfItsTenantButNoGlobalWebhook() async throws {
        try await TestHerald().run { api in
            let tenant = try await api.tenant()
            let property = try await api.property(in: tenant)
            let user = try await api.key(.user, in: tenant)
            #expect(try await api.webhook(key: user, property: property).status == .created)
            let global = try await api.webhook(key: user, property: nil, ["is_global": true])
            #expect(global.status == .forbidden)
            #expect(global.errorCode == "forbidden")
        }
    }

    @Test func userKeyCannotChangeProtectedWebhooks() async throws {
        try await TestHerald().run { api in
            let tenant = try await api.tenant()
            let property = try await api.property(in: tenant)
            let id = try #require(try await api.webhook(key: api.admin, property: property, ["protected": true]).id)
            let user = try await api.key(.user, in: tenant)
            #expect(try await api.call(.get, "/api/v1/webhooks/\(id.text)", key: user).status == .ok)
            let update = try await api.call(
                .put, "/api/v1/webhooks/\(id.text)", key: user, body: ["webhook": ["is_active": true]])
            #expect(update.status == .forbidden)
            #expect(try await api.call(.delete, "/api/v1/webhooks/\(id.text)", key: user).status == .forbidden)
            let own = try #require(try await api.webhook(key: user, property: property).id)
            let protect = try await api.call(
                .put, "/api/v1/webhooks/\(own.text)", key: user, body: ["webhook": ["protected": true]])
            #expect(protect.status == .forbidden)
            let admin = try await api.key(.admin, in: tenant)
            let byAdmin = try await api.call(
                .put, "/api/v1/webhooks/\(id.text)", key: admin, body: ["webhook": ["is_active": true]])
            #expect(byAdmin.status == .ok)
        }
    }

    @Test func publisherKeysCannotManageWebhooks() async throws {
        try await TestHerald().run { api in
            let tenant = try await api.tenant()
            let property = try await api.property(in: tenant)
            let publisher = try await api.key(.publisher, in: tenant)
            #expect(try await api.call(.get, "/api/v1/webhooks", key: publisher).status == .forbidden)
            #expect(try await api.webhook(key: publisher, property: property).status == .forbidden)
        }
    }

    @Test func revokedKeyStopsWorkingAtOnce() async throws {
        try await TestHerald().run { api in
            let tenant = try await api.tenant()
            let key = try await api.key(.admin, in: tenant)
            #expect(try await api.call(.get, "/api/v1/webhooks", key: key).status == .ok)
            let keys = try await api.call(.get, "/api/v1/api_keys?filter[tenant_id]=\(tenant.text)", key: api.admin)
            let id = try #require(keys.items.first?["id"]?.stringValue)
            let revoke = try await api.call(.delete, "/api/v1/api_keys/\(id)", key: api.admin)
            #expect(revoke.json == ["meta": ["message": "Success"]])
            #expect(try await api.call(.get, "/api/v1/webhooks", key: key).status == .unauthorized)
        }
    }

    /// Publishing authenticates from a cache of keys, so the events' own commit checks the
    /// key and the property again: a key revoked, or a property deleted, by another process is
    /// refused on the next publish that reaches the store, and nothing of it is stored. A request
    /// refused before the store may still authenticate from the cache, for at most
    /// ``KeyCache/lifetime``.
    @Test(arguments: Backend.allCases)
    func aKeyRevokedOrAPropertyDeletedElsewhereStopsPublishingAtOnce(backend: Backend) async throws {
        var first = try await TestHerald(backend)
        first.delivering = false
        defer { first.removeDatabase() }
        // Two more Heralds on the same database (a test Herald runs once).
        let second = try first.reopen()
        let third = try first.reopen()
        try await first.run(keepDatabase: true) { api in
            let world = try await api.world()
            let doomed = try await api.property(in: world.tenant, "Doomed")
            #expect(try await api.publish(world, "booking_new").status == .accepted)
            #expect(try await api.publish(world, "booking_new", property: doomed).status == .accepted)
            let events = { try await api.call(.get, "/api/v1/events", key: world.admin).items.count }
            #expect(try await events() == 2)
            try await second.run(keepDatabase: true) { other in
                let deleted = try await other.call(.delete, "/api/v1/properties/\(doomed.text)", key: world.admin)
                #expect(deleted.status == .ok)
            }
            let gone = try await api.publish(world, "booking_new", property: doomed)
            #expect(gone.status == .unprocessableContent)
            #expect(gone.details?["property_id"] == ["not found"])
            #expect(try await events() == 2)
            try await third.run(keepDatabase: true) { other in
                let keys = try await other.call(.get, "/api/v1/api_keys", key: world.admin).items
                let publisher = try #require(
                    keys.first { $0["attributes"]?["role"] == "publisher" }?["id"]?.stringValue)
                #expect(try await other.call(.delete, "/api/v1/api_keys/\(publisher)", key: world.admin).status == .ok)
            }
            // Still cached here: a body refused before the store is answered as such...
            let empty = try await api.call(.post, "/api/v1/events", key: world.publisher, body: [:])
            #expect(empty.status == .unprocessableContent)
            // ...and the store refuses the key: batch or single, nothing is stored.
            let batch = try await api.call(
                .post, "/api/v1/events/batch", key: world.publisher,
                body: [
                    "events": [["name": "booking_new", "property_id": .string(world.property.text), "payload": [:]]]
                ])
            #expect(batch.status == .unauthorized)
            #expect(try await api.publish(world, "booking_new").status == .unauthorized)
            #expect(try await events() == 2)
        }
    }

    /// A cached key is read from the store again after ``KeyCache/lifetime``: a revoked key
    /// that only sends requests refused before the store stops authenticating by then.
    @Test func aCachedKeyIsReadAgainAfterItsLifetime() async throws {
        var herald = try await TestHerald()
        let clock = herald.withTestClock()
        herald.delivering = false
        try await herald.run { api in
            let world = try await api.world()
            #expect(try await api.publish(world, "booking_new").status == .accepted)
            let keys = try await api.call(.get, "/api/v1/api_keys", key: world.admin).items
            let publisher = try #require(keys.first { $0["attributes"]?["role"] == "publisher" }?["id"]?.stringValue)
            #expect(try await api.call(.delete, "/api/v1/api_keys/\(publisher)", key: world.admin).status == .ok)
            let empty = { try await api.call(.post, "/api/v1/events", key: world.publisher, body: [:]).status }
            #expect(try await empty() == .unprocessableContent)
            await clock.advance(by: .seconds(KeyCache.lifetime))
            #expect(try await empty() == .unauthorized)
        }
    }
}
