import Foundation
import HTTPTypes
import HeraldCore
import Testing

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
}
