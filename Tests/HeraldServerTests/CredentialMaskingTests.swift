import Foundation
import HTTPTypes
import HeraldCore
import Testing

/// Credentials in callback URLs never show in read models; a read model sent back keeps them.
@Suite struct CredentialMaskingTests {
    @Test(arguments: [
        ("https://user:pass@hooks.example.com/h", "https://user:****@hooks.example.com/h"),
        ("https://tok3n@hooks.example.com/h?a=1", "https://****@hooks.example.com/h?a=1"),
        ("https://hooks.example.com/h", "https://hooks.example.com/h"),
    ])
    func urlsAreMaskedAndUnmaskedOnTheWayBack(url: String, shown: String) {
        #expect(CallbackURL.masked(url) == shown)
        #expect(CallbackURL.unmasked(shown, current: url) == url)
        #expect(CallbackURL.unmasked("https://other.example.com/", current: url) == "https://other.example.com/")
        // The mask in place of credentials means the stored URL only when the whole URL is sent
        // back: a new path or host with it is refused (the caller writes the credentials again).
        let moved = shown.replacingOccurrences(of: "hooks.example.com", with: "evil.example")
        let repathed = shown.replacingOccurrences(of: "/h", with: "/v2")
        #expect(CallbackURL.maskedCredentialsProblem(shown, current: url) == nil)
        #expect(CallbackURL.maskedCredentialsProblem(url, current: url) == nil)
        for changed in [moved, repathed] where changed.contains(CallbackURL.mask) {
            #expect(CallbackURL.maskedCredentialsProblem(changed, current: url) != nil)
            #expect(CallbackURL.unmasked(changed, current: url) == changed)
        }
    }

    @Test func channexReadModelsMaskThePasswordAndAPutBackKeepsIt() async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald().run { api in
            let world = try await api.world()
            let url = receiver.url.replacingOccurrences(of: "http://", with: "http://user:pass@") + "/c"
            let created = try await api.webhook(key: world.admin, property: world.property, url: url)
            let id = try #require(created.id)
            let masked = receiver.url.replacingOccurrences(of: "http://", with: "http://user:****@") + "/c"
            #expect(created.attributes?["callback_url"] == .string(masked))
            let read = try await api.call(.get, "/api/v1/webhooks/\(id.text)", key: world.admin)
            #expect(read.attributes?["callback_url"] == .string(masked))
            let listed = try await api.call(.get, "/api/v1/webhooks", key: world.admin)
            #expect(listed.items.first?["attributes"]?["callback_url"] == .string(masked))
            let back = try await api.call(
                .put, "/api/v1/webhooks/\(id.text)", key: world.admin, body: ["webhook": try #require(read.attributes)])
            #expect(back.status == .ok)
            // The stored URL still carries the password: a test message authenticates with it.
            _ = try await api.call(.post, "/api/v1/webhooks/\(id.text)/test", key: world.admin)
            let request = try await receiver.waitFor(1)[0]
            #expect(request.header("Authorization") == "Basic " + Data("user:pass".utf8).base64EncodedString())
        }
        await receiver.stop()
    }

    @Test func octoReadModelsMaskThePasswordAndAPatchOrDeleteByTheMaskedURLWorks() async throws {
        try await TestHerald().run { api in
            let world = try await api.octoWorld()
            let created = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "booking_update", "url": "https://user:pass@hooks.example.com/octo"])
            let id = try #require(created.json["id"]?.stringValue)
            let masked = "https://user:****@hooks.example.com/octo"
            #expect(created.json["url"] == .string(masked))
            let list = try await api.octo(.get, "/octo/webhooks", key: world.admin)
            #expect(list.json.arrayValue?.first?["url"] == .string(masked))
            let patched = try await api.octo(
                .patch, "/octo/webhooks/\(id)", key: world.admin, body: ["url": .string(masked), "retryOnError": false])
            #expect(patched.status == .ok)
            let uuid = try #require(UUID(text: id))
            let stored = try #require(try await api.store.webhook(id: uuid))
            #expect(stored.callbackURL == "https://user:pass@hooks.example.com/octo")
            let deleted = try await api.octo(
                .delete, "/octo/webhooks?url=\(masked.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
                key: world.admin)
            #expect(deleted.json.arrayValue?.count == 1)
        }
    }

    /// A typo in a delete body must not widen what it deletes.
    @Test func octoDeleteByURLRefusesUnknownFieldsAndDeletesNothing() async throws {
        try await TestHerald().run { api in
            let world = try await api.octoWorld()
            for event in ["booking_update", "availability_update"] {
                _ = try await api.octo(
                    .post, "/octo/webhooks", key: world.admin,
                    body: ["event": .string(event), "url": "https://hooks.example.com/octo"])
            }
            let typo = try await api.octo(
                .delete, "/octo/webhooks", key: world.admin,
                body: ["url": "https://hooks.example.com/octo", "evnt": "booking_update"])
            #expect(typo.status == .unprocessableContent)
            #expect(typo.json["suggestion"] == "event")
            let wrongType = try await api.octo(
                .delete, "/octo/webhooks", key: world.admin,
                body: ["url": "https://hooks.example.com/octo", "event": 1])
            #expect(wrongType.status == .badRequest)
            let clash = try await api.octo(
                .delete, "/octo/webhooks?url=https%3A%2F%2Fhooks.example.com%2Focto", key: world.admin,
                body: ["url": "https://other.example.com/"])
            #expect(clash.status == .badRequest)
            #expect(try await api.octo(.get, "/octo/webhooks", key: world.admin).json.arrayValue?.count == 2)
            let one = try await api.octo(
                .delete, "/octo/webhooks?url=https%3A%2F%2Fhooks.example.com%2Focto", key: world.admin,
                body: ["event": "booking_update"])
            #expect(one.json.arrayValue?.count == 1)
        }
    }

    /// A host that does not resolve yet is accepted in both dialects (SECURITY.md): its
    /// deliveries fail and are retried until it does.
    @Test func aHostThatDoesNotResolveIsAcceptedInBothDialects() async throws {
        try await TestHerald().run { api in
            let world = try await api.octoWorld()
            let channex = try await api.webhook(
                key: world.admin, property: world.property, url: "https://not-yet.example.net/h")
            #expect(channex.status == .created)
            let octo = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "booking_update", "url": "https://not-yet.example.net/o"])
            #expect(octo.status == .ok)
        }
    }
}
