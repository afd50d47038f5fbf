import Foundation
import HeraldCore
import Testing

@Suite struct WebhookAPITests {
    @Test(arguments: Backend.allCases)
    func createAnswers201WithChannexDefaultsAndASigningSecret(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let tenant = try await api.tenant()
            let property = try await api.property(in: tenant)
            let reply = try await api.webhook(key: api.admin, property: property, mask: "booking")
            #expect(reply.status == .created)
            #expect(reply.json["data"]?["type"] == "webhook")
            let attributes = try #require(reply.attributes)
            #expect(attributes["is_active"] == false)
            #expect(attributes["send_data"] == false)
            #expect(attributes["protected"] == false)
            #expect(attributes["is_global"] == false)
            #expect(attributes["event_mask"] == "booking")
            #expect(attributes["callback_url"] == "https://example.com/hook")
            let secret = try #require(attributes["signing_secret"]?.stringValue)
            #expect(secret.hasPrefix("whsec_"))
            #expect((Data(base64Encoded: String(secret.dropFirst(6)))?.count ?? 0) >= 24)
            #expect(reply.json["data"]?["relationships"]?["property"]?["data"]?["id"] == .string(property.text))
            #expect(reply.json["data"]?["relationships"]?["organization"]?["data"]?["id"] == .string(tenant.text))
        }
    }

    @Test(arguments: Backend.allCases)
    func secretIsShownOnceThenOnlyThroughTheSecretRoute(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let property = try await api.property(in: try await api.tenant())
            let created = try await api.webhook(key: api.admin, property: property)
            let id = try #require(created.id)
            let shown = try await api.call(.get, "/api/v1/webhooks/\(id.text)", key: api.admin)
            #expect(shown.status == .ok)
            #expect(shown.attributes?["signing_secret"] == nil)
            let secret = try await api.call(.get, "/api/v1/webhooks/\(id.text)/secret", key: api.admin)
            #expect(secret.attributes?["signing_secret"] == created.attributes?["signing_secret"])
        }
    }

    @Test(arguments: Backend.allCases)
    func createWithEveryFieldEchoesThem(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let property = try await api.property(in: try await api.tenant())
            let reply = try await api.webhook(
                key: api.admin, property: property, url: "https://pms.example.com/push?x=1",
                mask: "ari:rate:*:*;booking",
                [
                    "request_params": ["token": "abc"], "headers": ["X-Channex-Webhook-Secret": "s3cret"],
                    "is_active": true, "send_data": true, "protected": true,
                ])
            #expect(reply.status == .created)
            let attributes = try #require(reply.attributes)
            #expect(attributes["request_params"] == ["token": "abc"])
            #expect(attributes["headers"] == ["X-Channex-Webhook-Secret": "s3cret"])
            #expect(attributes["is_active"] == true)
            #expect(attributes["send_data"] == true)
            #expect(attributes["protected"] == true)
        }
    }

    @Test(arguments: Backend.allCases)
    func listPaginatesWithChannexMeta(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let property = try await api.property(in: try await api.tenant())
            for _ in 0..<12 { _ = try await api.webhook(key: api.admin, property: property) }
            let first = try await api.call(.get, "/api/v1/webhooks", key: api.admin)
            #expect(first.items.count == 10)
            #expect(first.json["meta"] == ["page": 1, "limit": 10, "total": 12])
            let second = try await api.call(
                .get, "/api/v1/webhooks?pagination%5Bpage%5D=2&pagination%5Blimit%5D=5", key: api.admin)
            #expect(second.items.count == 5)
            #expect(second.json["meta"] == ["page": 2, "limit": 5, "total": 12])
            let clamped = try await api.call(.get, "/api/v1/webhooks?pagination[limit]=1000", key: api.admin)
            #expect(clamped.json["meta"]?["limit"] == 100)
            let bad = try await api.call(.get, "/api/v1/webhooks?pagination[page]=0", key: api.admin)
            #expect(bad.status == .unprocessableContent)
            #expect(bad.details?["pagination[page]"] != nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func listFiltersByPropertyActiveAndGlobal(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let tenant = try await api.tenant()
            let first = try await api.property(in: tenant)
            let second = try await api.property(in: tenant)
            _ = try await api.webhook(key: api.admin, property: first, ["is_active": true])
            _ = try await api.webhook(key: api.admin, property: second)
            _ = try await api.webhook(
                key: api.admin, property: nil, ["is_global": true, "tenant_id": .string(tenant.text)])
            let byProperty = try await api.call(
                .get, "/api/v1/webhooks?filter[property_id]=\(first.text)", key: api.admin)
            #expect(byProperty.json["meta"]?["total"] == 1)
            let active = try await api.call(.get, "/api/v1/webhooks?filter[is_active]=true", key: api.admin)
            #expect(active.json["meta"]?["total"] == 1)
            let global = try await api.call(.get, "/api/v1/webhooks?filter[is_global]=true", key: api.admin)
            #expect(global.json["meta"]?["total"] == 1)
            #expect(global.items.first?["relationships"]?["property"] == nil)
            let bad = try await api.call(.get, "/api/v1/webhooks?filter[is_active]=maybe", key: api.admin)
            #expect(bad.status == .unprocessableContent)
        }
    }

    @Test(arguments: Backend.allCases)
    func updateChangesOnlyTheGivenFields(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let property = try await api.property(in: try await api.tenant())
            let id = try #require(try await api.webhook(key: api.admin, property: property, mask: "booking").id)
            let reply = try await api.call(
                .put, "/api/v1/webhooks/\(id.text)", key: api.admin,
                body: ["webhook": ["is_active": true, "callback_url": "https://example.com/new"]])
            #expect(reply.status == .ok)
            #expect(reply.attributes?["is_active"] == true)
            #expect(reply.attributes?["callback_url"] == "https://example.com/new")
            #expect(reply.attributes?["event_mask"] == "booking")
            let invalid = try await api.call(
                .put, "/api/v1/webhooks/\(id.text)", key: api.admin, body: ["webhook": ["event_mask": "nonsense"]])
            #expect(invalid.status == .unprocessableContent)
            let after = try await api.call(.get, "/api/v1/webhooks/\(id.text)", key: api.admin)
            #expect(after.attributes?["event_mask"] == "booking")
        }
    }

    @Test(arguments: Backend.allCases)
    func deleteAnswersSuccessMetaAndTheWebhookIsGone(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let property = try await api.property(in: try await api.tenant())
            let id = try #require(try await api.webhook(key: api.admin, property: property).id)
            let reply = try await api.call(.delete, "/api/v1/webhooks/\(id.text)", key: api.admin)
            #expect(reply.status == .ok)
            #expect(reply.json == ["meta": ["message": "Success"]])
            let gone = try await api.call(.get, "/api/v1/webhooks/\(id.text)", key: api.admin)
            #expect(gone.status == .notFound)
            #expect(gone.errorCode == "resource_not_found")
        }
    }

    @Test(arguments: Backend.allCases)
    func globalWebhookNeedsNullPropertyAndIsGlobal(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let tenant = try await api.tenant()
            let property = try await api.property(in: tenant)
            let admin = try await api.key(.admin, in: tenant)
            let global = try await api.webhook(key: admin, property: nil, ["is_global": true])
            #expect(global.status == .created)
            #expect(global.attributes?["is_global"] == true)
            #expect(global.attributes?["property_id"] == .null)
            let both = try await api.webhook(key: admin, property: property, ["is_global": true])
            #expect(both.status == .unprocessableContent)
            #expect(both.details?["is_global"] != nil)
            let neither = try await api.webhook(key: admin, property: nil)
            #expect(neither.status == .unprocessableContent)
            #expect(neither.details?["property_id"] == ["can't be blank"])
        }
    }

    @Test(arguments: Backend.allCases)
    func deletingAPropertyDeletesItsWebhooks(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let property = try await api.property(in: try await api.tenant())
            let id = try #require(try await api.webhook(key: api.admin, property: property).id)
            let deleted = try await api.call(.delete, "/api/v1/properties/\(property.text)", key: api.admin)
            #expect(deleted.status == .ok)
            #expect(try await api.call(.get, "/api/v1/webhooks/\(id.text)", key: api.admin).status == .notFound)
        }
    }
}
