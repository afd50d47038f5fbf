import Foundation
import HeraldCore
import Testing

@Suite struct WebhookValidationTests {
    @Test(arguments: Backend.allCases)
    func missingRequiredFieldsAreEachReported(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let reply = try await api.call(.post, "/api/v1/webhooks", key: api.admin, body: ["webhook": [:]])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.errorCode == "validation_error")
            #expect(reply.json["errors"]?["title"] == "Validation Error")
            #expect(reply.details?["callback_url"] == ["can't be blank"])
            #expect(reply.details?["event_mask"] == ["can't be blank"])
            #expect(reply.details?["property_id"] == ["can't be blank"])
        }
    }

    @Test(arguments: ["ftp://example.com/x", "/relative/path", "https://", "not a url", "http://exa mple.com/"])
    func callbackURLMustBeAnAbsoluteHTTPURL(url: String) async throws {
        try await TestHerald().run { api in
            let property = try await api.property(in: try await api.tenant())
            let reply = try await api.webhook(key: api.admin, property: property, url: url)
            #expect(reply.status == .unprocessableContent)
            #expect(reply.details?["callback_url"] != nil)
        }
    }

    /// Host names take letters, digits, `-` and `.`; a refusal says so, in both dialects, and
    /// stores nothing. Header values take TAB but no other control character.
    @Test func hostNamesTakeLettersDigitsHyphensAndDotsOnly() async throws {
        try await TestHerald().run { api in
            let world = try await api.octoWorld()
            let refusals = [
                "http://exa_mple.com/": "host may contain only letters, digits, '-' and '.'",
                "http://a!b.example/": "host may contain only letters, digits, '-' and '.'",
                "http://ex%41mple.com/": "must not percent-encode its host",
                "http://ex%0d%0aample.com/": "must not percent-encode its host",
            ]
            for (url, problem) in refusals {
                let reply = try await api.webhook(key: world.admin, property: world.property, url: url)
                #expect(reply.status == .unprocessableContent)
                #expect(reply.details?["callback_url"] == [.string(problem)], "\(url)")
                let octo = try await api.octo(
                    .post, "/octo/webhooks", key: world.admin, body: ["event": "booking_update", "url": .string(url)])
                #expect(octo.status == .badRequest)
                #expect(octo.json["errorMessage"] == .string("url \(problem)"), "\(url)")
            }
            #expect(try await api.call(.get, "/api/v1/webhooks", key: world.admin).items.isEmpty)
            #expect(try await api.octo(.get, "/octo/webhooks", key: world.admin).json == [])
            for url in [
                "https://xn--bcher-kva.example/x", "https://bücher.example/x", "https://1password-bridge.example/",
            ] {
                #expect(try await api.webhook(key: world.admin, property: world.property, url: url).status == .created)
            }
            let tabbed = try await api.webhook(
                key: world.admin, property: world.property, ["headers": ["X-List": "a\tb"]])
            #expect(tabbed.status == .created)
            let bell = try await api.webhook(
                key: world.admin, property: world.property, ["headers": ["X-Ok": "a\u{7}"]])
            #expect(bell.details?["headers"] == ["header 'X-Ok' value must not contain control characters (TAB aside)"])
        }
    }

    /// A webhook stored before the host and header rules tightened can still be read and sent
    /// back with other changes; only what changes is judged by today's rules.
    @Test func whatAnUpdateSendsBackUnchangedIsNotJudgedAgain() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let now = Date()
            var old = try Webhook(
                tenantId: world.tenant, propertyId: world.property, isGlobal: false,
                callbackURL: "https://user:pw@old_host.example.com/h", eventMask: EventMask(parsing: "*"),
                headers: ["X-Old": "a\u{1B}b"], secrets: [SigningSecret(value: KeyMaterial.newSigningSecret())],
                createdAt: now, updatedAt: now)
            old.isActive = false
            try await api.store.insertWebhook(old)
            let path = "/api/v1/webhooks/\(old.id.text)"
            let read = try #require(try await api.call(.get, path, key: world.admin).attributes?.objectValue)
            var body = read
            body["is_active"] = true
            let sentBack = try await api.call(.put, path, key: world.admin, body: ["webhook": .object(body)])
            #expect(sentBack.status == .ok)
            #expect(sentBack.attributes?["is_active"] == true)
            #expect(try await api.store.webhook(id: old.id)?.callbackURL == "https://user:pw@old_host.example.com/h")
            body["headers"] = ["X-Old": "c\u{1B}d"]
            let changedHeader = try await api.call(.put, path, key: world.admin, body: ["webhook": .object(body)])
            #expect(changedHeader.status == .unprocessableContent)
            body["headers"] = read["headers"]
            body["callback_url"] = "https://new_host.example.com/h"
            let changedURL = try await api.call(.put, path, key: world.admin, body: ["webhook": .object(body)])
            #expect(changedURL.status == .unprocessableContent)
        }
    }

    @Test(arguments: Backend.allCases)
    func eventMaskFollowsTheGrammar(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let property = try await api.property(in: try await api.tenant())
            for mask in [
                "*", "ari", "booking;ari", "ari:rate:*:96a44e07-2158-43e4-8baa-8f6f56922ba8", "booking_update",
            ] {
                #expect(try await api.webhook(key: api.admin, property: property, mask: mask).status == .created)
            }
            for mask in ["", "bogus", "booking;", "ari:rate", "ari:rate:x:*"] {
                let reply = try await api.webhook(key: api.admin, property: property, mask: mask)
                #expect(reply.status == .unprocessableContent, "mask \(mask)")
                #expect(reply.details?["event_mask"] != nil)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func propertyMustBelongToTheTenant(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let tenant = try await api.tenant()
            let other = try await api.property(in: try await api.tenant("Other"))
            let admin = try await api.key(.admin, in: tenant)
            let foreign = try await api.webhook(key: admin, property: other)
            #expect(foreign.status == .unprocessableContent)
            #expect(foreign.details?["property_id"] == ["not found"])
            let unknown = try await api.webhook(key: admin, property: UUID())
            #expect(unknown.details?["property_id"] == ["not found"])
            let malformed = try await api.webhook(key: admin, property: nil, ["property_id": "abc"])
            #expect(malformed.details?["property_id"] == ["must be a valid UUID"])
        }
    }

    @Test(
        arguments: [
            ["Host": "evil"], ["Content-Length": "1"], ["content-type": "text/plain"], ["Transfer-Encoding": "chunked"],
            ["Connection": "close"], ["webhook-signature": "v1,x"], ["Bad Name": "x"], ["X-Ok": "a\r\nInjected: yes"],
            ["X-Ok": "nul\u{0}byte"], ["": "x"], ["X-Ok": "bell\u{7}"], ["X-Ok": "escape\u{1B}[31m"],
            ["X-Ok": "delete\u{7F}"], ["X-Ok": "next line\u{85}"],
        ] as [JSONValue])
    func unsafeHeadersAreRefused(headers: JSONValue) async throws {
        try await TestHerald().run { api in
            let property = try await api.property(in: try await api.tenant())
            let reply = try await api.webhook(key: api.admin, property: property, ["headers": headers])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.details?["headers"] != nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func requestParamsAndHeadersMustMapStringsToStrings(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let property = try await api.property(in: try await api.tenant())
            let reply = try await api.webhook(
                key: api.admin, property: property, ["request_params": ["n": 1], "headers": ["X-A": true]])
            #expect(reply.details?["request_params"] != nil)
            #expect(reply.details?["headers"] != nil)
            let list = try await api.webhook(key: api.admin, property: property, ["request_params": ["a", "b"]])
            #expect(list.details?["request_params"] == ["must be an object of strings"])
        }
    }

    @Test(arguments: Backend.allCases)
    func wrongTypesAreValidationErrorsNamingTheField(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let property = try await api.property(in: try await api.tenant())
            let reply = try await api.webhook(
                key: api.admin, property: property,
                ["is_active": "yes", "send_data": 1, "callback_url": 42, "event_mask": ["*"]])
            #expect(reply.status == .unprocessableContent)
            #expect(reply.details?["is_active"] == ["must be a boolean"])
            #expect(reply.details?["send_data"] == ["must be a boolean"])
            #expect(reply.details?["callback_url"] == ["must be a string"])
            #expect(reply.details?["event_mask"] == ["must be a string"])
        }
    }

    @Test(arguments: Backend.allCases)
    func deliveryLimitsAreBoundedWholeNumbers(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let property = try await api.property(in: try await api.tenant())
            for (field, value) in [
                ("max_in_flight", 0), ("max_in_flight", 65), ("max_in_flight", "4"), ("max_in_flight", .null),
                ("rate_limit", 0), ("rate_limit", 1_001), ("rate_limit", .double(2.5)),
            ] as [(String, JSONValue)] {
                let reply = try await api.webhook(key: api.admin, property: property, [field: value])
                #expect(reply.status == .unprocessableContent, "\(field): \(value)")
                #expect(
                    reply.details?[field]?.arrayValue?.first?.stringValue?.hasPrefix("must be a whole number") == true)
            }
            let list = try await api.call(.get, "/api/v1/webhooks", key: api.admin)
            #expect(list.json["meta"]?["total"] == 0)

            // Set on create, changed and cleared by an update; the circuit starts closed.
            let created = try await api.webhook(
                key: api.admin, property: property, ["max_in_flight": 16, "rate_limit": 50])
            #expect(created.attributes?["max_in_flight"] == 16)
            #expect(created.attributes?["rate_limit"] == 50)
            #expect(created.attributes?["circuit"]?["state"] == "closed")
            let id = try #require(created.id)
            let updated = try await api.call(
                .put, "/api/v1/webhooks/\(id.text)", key: api.admin, body: ["webhook": ["rate_limit": .null]])
            #expect(updated.attributes?["max_in_flight"] == 16)
            #expect(updated.attributes?["rate_limit"] == .null)
            let plain = try await api.webhook(key: api.admin, property: property)
            #expect(plain.attributes?["max_in_flight"] == .int(Int64(EndpointLimits.defaultMaxInFlight)))
            #expect(plain.attributes?["rate_limit"] == .null)
        }
    }

    @Test(arguments: Backend.allCases)
    func refusedWritesChangeNothing(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let property = try await api.property(in: try await api.tenant())
            _ = try await api.webhook(key: api.admin, property: property, mask: "nope")
            _ = try await api.webhook(key: api.admin, property: property, ["headers": ["Host": "x"]])
            let list = try await api.call(.get, "/api/v1/webhooks", key: api.admin)
            #expect(list.json["meta"]?["total"] == 0)
        }
    }
}
