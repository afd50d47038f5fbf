import Foundation
import HeraldCore
import Testing

/// What a key may do is no more than its role needs: users keep their hands off protected
/// webhooks' secrets and deliveries, scoped keys speak for their properties only.
@Suite struct LeastPrivilegeTests {
    @Test func usersCannotReadAProtectedWebhooksSecretsNorResendItsDeliveries() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let user = try await api.key(.user, in: world.tenant)
            let scopedUser = try await api.key(.user, in: world.tenant, scope: [world.property])
            let fields: [String: JSONValue] = ["headers": ["Authorization": "Bearer receiver-token"]]
            let guarded = try await api.activeWebhook(
                in: world, url: "https://user:pass@hooks.example.com/guarded",
                ["protected": true].merging(fields) { a, _ in a })
            let open = try await api.activeWebhook(in: world, url: "https://hooks.example.com/open", fields)
            #expect(try await api.publish(world, "booking_new").status == .accepted)
            let delivery = try #require(try await api.deliveries(of: guarded.id).first?["id"]?.stringValue)
            let before = try await api.call(.get, "/api/v1/deliveries/\(delivery)", key: world.admin).attributes

            for key in [user, scopedUser] {
                let secret = try await api.call(.get, "/api/v1/webhooks/\(guarded.id.text)/secret", key: key)
                #expect(secret.status == .forbidden)
                #expect(!secret.json.encodedString().contains("whsec_"))
                let recover = try await api.call(
                    .post, "/api/v1/webhooks/\(guarded.id.text)/recover", key: key,
                    body: ["since": "2020-01-01T00:00:00Z"])
                #expect(recover.status == .forbidden)
                let retry = try await api.call(.post, "/api/v1/deliveries/\(delivery)/retry", key: key)
                #expect(retry.status == .forbidden)
                // A test goes signed with the webhook's secret and carries its headers.
                let test = try await api.call(.post, "/api/v1/webhooks/\(guarded.id.text)/test", key: key)
                #expect(test.status == .forbidden)

                // They still see the webhook, with what it carries masked.
                let shown = try await api.call(.get, "/api/v1/webhooks/\(guarded.id.text)", key: key)
                #expect(shown.status == .ok)
                #expect(shown.attributes?["headers"] == ["Authorization": "****"])
                #expect(shown.attributes?["callback_url"] == "https://user:****@hooks.example.com/guarded")
                let listed = try await api.call(.get, "/api/v1/webhooks", key: key).items
                let row = try #require(listed.first { $0["id"] == .string(guarded.id.text) })
                #expect(row["attributes"]?["headers"] == ["Authorization": "****"])
                let openRow = try #require(listed.first { $0["id"] == .string(open.id.text) })
                #expect(openRow["attributes"]?["headers"] == ["Authorization": "Bearer receiver-token"])

                // A webhook they may change is theirs to read in full.
                let openSecret = try await api.call(.get, "/api/v1/webhooks/\(open.id.text)/secret", key: key)
                #expect(openSecret.status == .ok)
                #expect(openSecret.attributes?["signing_secret"] == .string(open.secret))
            }
            // The refusals changed nothing (the dispatcher may have moved the delivery on
            // meanwhile, but no retry made it due again); the admin still reads everything.
            #expect(try await api.deliveries(of: guarded.id).count == 1)
            let after = try await api.call(.get, "/api/v1/deliveries/\(delivery)", key: world.admin).attributes
            #expect(after?["created_at"] == before?["created_at"])
            #expect((after?["attempts"]?.intValue ?? 0) <= 1)
            let admin = try await api.call(.get, "/api/v1/webhooks/\(guarded.id.text)", key: world.admin)
            #expect(admin.attributes?["headers"] == ["Authorization": "Bearer receiver-token"])
            let secret = try await api.call(.get, "/api/v1/webhooks/\(guarded.id.text)/secret", key: world.admin)
            #expect(secret.attributes?["signing_secret"] == .string(guarded.secret))
            #expect(
                try await api.call(.post, "/api/v1/deliveries/\(delivery)/retry", key: world.admin).status
                    != .forbidden)
        }
    }

    @Test func aPublisherScopedToPropertiesMayNotPostTenantWideEvents() async throws {
        try await TestHerald().run { api in
            var world = try await api.world()
            let other = try await api.property(in: world.tenant, "Other")
            let unscoped = world.publisher
            world.publisher = try await api.key(.publisher, in: world.tenant, scope: [world.property])

            let bare = try await api.publish(world, "booking_new", property: .some(nil))
            #expect(bare.status == .unprocessableContent)
            #expect(bare.details?["property_id"] == ["can't be blank: this key is scoped to properties"])
            let batch = try await api.call(
                .post, "/api/v1/events/batch", key: world.publisher,
                body: [
                    "events": [
                        ["name": "booking_new", "property_id": .string(world.property.text), "payload": [:]],
                        ["name": "booking_new", "payload": [:]],
                    ]
                ])
            #expect(batch.status == .unprocessableContent)
            #expect(batch.details?["events[1].property_id"] == ["can't be blank: this key is scoped to properties"])
            #expect(try await api.publish(world, "booking_new", property: .some(other)).status == .unprocessableContent)
            #expect(try await api.call(.get, "/api/v1/events", key: world.admin).items.isEmpty)

            #expect(try await api.publish(world, "booking_new").status == .accepted)
            world.publisher = unscoped
            #expect(try await api.publish(world, "booking_new", property: .some(nil)).status == .accepted)
        }
    }

    @Test func octoWebhooksAreTenantWideSoUsersCannotManageThem() async throws {
        try await TestHerald().run { api in
            let world = try await api.octoWorld()
            let user = try await api.key(.user, in: world.tenant)
            let created = try await api.octo(
                .post, "/octo/webhooks", key: user, body: ["event": "booking_update", "url": "https://x.example/octo"])
            #expect(created.status == .forbidden)
            #expect(created.json["error"] == "FORBIDDEN")
            #expect(try await api.octo(.get, "/octo/webhooks", key: user).status == .forbidden)
            #expect(try await api.octo(.get, "/octo/webhooks", key: world.admin).json == [])
            let admin = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "booking_update", "url": "https://x.example/octo"])
            #expect(admin.status == .ok)
        }
    }
}
