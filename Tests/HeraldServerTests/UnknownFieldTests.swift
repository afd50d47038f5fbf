import Foundation
import HTTPTypes
import HeraldCore
import Testing

/// Typos in write bodies answer 422 naming the field and the closest known one, in both
/// dialects, and change nothing.
@Suite struct UnknownFieldTests {
    @Test(arguments: Backend.allCases)
    func aTypoInANewWebhookIs422AndMakesNoWebhook(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let property = try await api.property(in: try await api.tenant())
            let reply = try await api.webhook(key: api.admin, property: property, ["is_actve": true])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.errorCode == "validation_error")
            #expect(reply.details?["is_actve"] == ["is not a known field; did you mean `is_active`?"])
            let list = try await api.call(.get, "/api/v1/webhooks", key: api.admin)
            #expect(list.items.isEmpty)
        }
    }

    @Test func aTypoInAnUpdateChangesNothingAndWhatWasReadGoesBackUnchanged() async throws {
        try await TestHerald().run { api in
            let property = try await api.property(in: try await api.tenant())
            let id = try #require(try await api.webhook(key: api.admin, property: property).id)
            let path = "/api/v1/webhooks/\(id.text)"
            let typo = try await api.call(.put, path, key: api.admin, body: ["webhook": ["isActive": true]])
            #expect(typo.status == .unprocessableContent)
            #expect(typo.details?["isActive"] == ["is not a known field; did you mean `is_active`?"])
            let read = try await api.call(.get, path, key: api.admin)
            #expect(read.attributes?["is_active"] == false)
            // The read model, sent back whole with one change, is accepted.
            guard case .object(var attributes)? = read.attributes else { throw TestFailure("no attributes") }
            attributes["is_active"] = true
            let back = try await api.call(.put, path, key: api.admin, body: ["webhook": .object(attributes)])
            #expect(back.status == .ok)
            #expect(back.attributes?["is_active"] == true)
            // So is the create answer, signing secret and all (the secret is ignored).
            let created = try await api.webhook(key: api.admin, property: property)
            let createdId = try #require(created.id)
            let again = try await api.call(
                .put, "/api/v1/webhooks/\(createdId.text)", key: api.admin,
                body: ["webhook": try #require(created.attributes)])
            #expect(again.status == .ok)
        }
    }

    @Test func aMisspelledWrapperIsNamed() async throws {
        try await TestHerald().run { api in
            let reply = try await api.call(
                .post, "/api/v1/webhooks", key: api.admin, body: ["webhok": ["callback_url": "https://x.example/"]])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.details?["webhok"] == ["is not a known field; did you mean `webhook`?"])
        }
    }

    @Test func eventsTenantsPropertiesAndKeysRefuseUnknownFields() async throws {
        try await TestHerald().run { api in
            let tenant = try await api.tenant()
            let property = try await api.property(in: tenant)
            let publisher = try await api.key(.admin, in: tenant)
            let cases: [(String, JSONValue, String, String)] = [
                (
                    "/api/v1/events", ["event": ["name": "booking_new", "propertyId": .string(property.text)]],
                    "propertyId", "property_id"
                ),
                (
                    "/api/v1/events/batch",
                    ["events": [["name": "booking_new"], ["name": "booking_new", "idempotencyKey": "k"]]],
                    "events[1].idempotencyKey", "idempotency_key"
                ),
                ("/api/v1/tenants", ["tenant": ["name": "B", "demoMode": true]], "demoMode", "demo_mode"),
                (
                    "/api/v1/properties", ["property": ["titel": "H", "tenant_id": .string(tenant.text)]], "titel",
                    "title"
                ),
                (
                    "/api/v1/api_keys",
                    ["api_key": ["role": "user", "tenant_id": .string(tenant.text), "propery_ids": []]],
                    "propery_ids", "property_ids"
                ),
            ]
            let before = try api.snapshot()
            for (path, body, field, meant) in cases {
                let reply = try await api.call(
                    .post, path, key: path.contains("events") ? publisher : api.admin, body: body)
                #expect(reply.status == .unprocessableContent, "\(path)")
                #expect(reply.details?[field] == [.string("is not a known field; did you mean `\(meant)`?")], "\(path)")
            }
            #expect(try api.snapshot() == before)
            // What a create answered, posted again, is accepted (its read-only fields are ignored).
            let created = try await api.call(
                .post, "/api/v1/events", key: publisher,
                body: ["event": ["name": "booking_new", "property_id": .string(property.text)]])
            #expect(created.status == .accepted)
            var again = try #require(created.attributes?.objectValue)
            again["idempotency_key"] = "again"
            let repost = try await api.call(.post, "/api/v1/events", key: publisher, body: ["event": .object(again)])
            #expect(repost.status == .accepted)
        }
    }

    @Test func octoAnswers422WithTheFieldAndItsSuggestion() async throws {
        try await TestHerald().run { api in
            let world = try await api.octoWorld()
            let reply = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "booking_update", "url": "https://example.com/octo", "retryOnErorr": false])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.json["error"] == "UNPROCESSABLE_ENTITY")
            #expect(reply.json["field"] == "retryOnErorr")
            #expect(reply.json["suggestion"] == "retryOnError")
            #expect(reply.json["errorMessage"] == "retryOnErorr is not a known field; did you mean `retryOnError`?")
            let list = try await api.octo(.get, "/octo/webhooks", key: world.admin)
            #expect(list.json.arrayValue?.isEmpty == true)
        }
    }

    @Test func aTrailingCommaIsNotJSON() async throws {
        try await TestHerald().run { api in
            let reply = try await api.call(
                .post, "/api/v1/webhooks", key: api.admin,
                raw: #"{"webhook": {"callback_url": "https://x.example/", "event_mask": "*",}}"#)
            #expect(reply.status == .badRequest)
            let message = reply.details?["base"]?.arrayValue?.first?.stringValue ?? ""
            #expect(message.contains("not valid JSON: trailing comma"), "\(reply.json)")
        }
    }
}
