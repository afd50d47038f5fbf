import Foundation
import HTTPTypes
import HeraldCore
import Testing

/// Malformed and malicious input at every write route: always a 4xx in the Channex shape, and the
/// database unchanged.
@Suite struct HostileInputTests {
    /// Bodies that are not what any route accepts.
    static let rawBodies: [String] = [
        "", "{", "null", "[]", "\"text\"", "42", "{\"a\":}", "{\"webhook\": 1e400}", "{\"event\": [}",
        String(repeating: "[", count: 5000), "{\"webhook\":{\"callback_url\":\"\\ud800\"}}",
    ]

    /// Field values each route refuses, by the wrapper key it reads (nil: a bare object).
    static let hostileFields: [String: [String: JSONValue]] = [
        "tenant": ["name": .array([]), "demo_mode": "yes", "octo_supplier": "'; DROP TABLE tenants;--"],
        "api_key": ["role": "root'--", "tenant_id": "%2e%2e%2f", "property_ids": "../../etc"],
        "property": ["title": .array([]), "tenant_id": "' OR '1'='1"],
        "webhook": [
            "callback_url": "http://x.example/\r\nHost: evil", "event_mask": "'; DROP TABLE webhooks;--",
            "property_id": "../../etc/passwd", "is_active": .double(1e308), "send_data": .int(Int64.max),
            "headers": ["X-Ok": "value\r\nInjected: 1"], "request_params": ["a": ["nested": true]],
            "retry_policy": ["schedule_seconds": [-1]], "max_in_flight": .int(Int64.max), "rate_limit": .double(0.5),
        ],
        "event": [
            "name": "booking_new' OR '1'='1", "timestamp": "2021-13-45T99:99:99Z", "property_id": "../../x",
            "idempotency_key": .int(99_999_999_999), "test": "yes",
        ],
        "recover": ["since": "; DROP TABLE deliveries", "until": .int(-1)],
    ]

    static func writeRoutes(webhook: UUID) -> [(HTTPRequest.Method, String, wrapper: String?, fields: String)] {
        [
            (.post, "/api/v1/tenants", "tenant", "tenant"), (.post, "/api/v1/api_keys", "api_key", "api_key"),
            (.post, "/api/v1/properties", "property", "property"), (.post, "/api/v1/webhooks", "webhook", "webhook"),
            (.put, "/api/v1/webhooks/\(webhook.text)", "webhook", "webhook"),
            (.post, "/api/v1/webhooks/test", "webhook", "webhook"),
            (.post, "/api/v1/webhooks/\(webhook.text)/recover", nil, "recover"),
            (.post, "/api/v1/events", "event", "event"), (.post, "/api/v1/events/batch", "events", "event"),
        ]
    }

    static let hostileIds = [
        "..%2f..%2ftenants", "%2e%2e", "1%27%20OR%20%271%27%3D%271", "00000000-0000-0000-0000-00000000000G",
        "msg_%00", String(repeating: "a", count: 3000),
    ]

    @Test func malformedBodiesAreRefusedAtEveryWriteRoute() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let webhook = try #require(
                try await api.webhook(key: world.admin, property: world.property, url: "https://8.8.8.8/").id)
            let before = try api.snapshot()
            for (method, path, _, _) in Self.writeRoutes(webhook: webhook) {
                for raw in Self.rawBodies {
                    let reply = try await api.call(method, path, key: api.admin, raw: raw)
                    Self.expectRefusal(reply, "\(method) \(path) <- \(raw.prefix(30))")
                }
                let invalidUTF8 = try await api.call(
                    method, path, key: world.admin, bytes: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D])
                Self.expectRefusal(invalidUTF8, "\(method) \(path) <- invalid UTF-8")
            }
            #expect(try api.snapshot() == before)
        }
    }

    /// What lenient parsers take and JSON is not: each answers 400 saying where, and stores nothing.
    @Test func onlyStrictJSONIsAccepted() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let before = try api.snapshot()
            let event = #""event":{"name":"booking_new","property_id":"\#(world.property.text)""#
            let bodies = [
                ("{\(event)},}", "trailing comma before '}'"),
                ("{\(event),\"payload\":[1,2,]}}", "trailing comma before ']'"),
                ("{\(event)},\"x\"}", "expected ':' after a member name"),
                ("{\(event),\"name\":\"booking_cancel\"}}", #"duplicate member name "name""#),
            ]
            for (body, reason) in bodies {
                let reply = try await api.call(.post, "/api/v1/events", key: world.admin, raw: body)
                #expect(reply.status == .badRequest, "\(body)")
                let message = reply.details?["base"]?.arrayValue?.first?.stringValue ?? ""
                #expect(message.contains("not valid JSON: \(reason) at byte"), "\(reply.json)")
            }
            #expect(try api.snapshot() == before)
            let valid = try await api.call(.post, "/api/v1/events", key: world.admin, raw: "{\(event)}}")
            #expect(valid.status == .accepted)
        }
    }

    @Test func hostileFieldValuesAreRefusedAtEveryWriteRoute() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let webhook = try #require(
                try await api.webhook(key: world.admin, property: world.property, url: "https://8.8.8.8/").id)
            let before = try api.snapshot()
            for (method, path, wrapper, fields) in Self.writeRoutes(webhook: webhook) {
                for (field, value) in Self.hostileFields[fields] ?? [:] {
                    var object: [String: JSONValue] = [field: value]
                    // Keep the other required fields valid so the hostile one is what is judged.
                    if fields == "webhook", field != "callback_url" { object["callback_url"] = "https://8.8.8.8/" }
                    if fields == "webhook", field != "event_mask" { object["event_mask"] = "*" }
                    if fields == "event", field != "name" { object["name"] = "booking_new" }
                    if fields == "recover", field != "since" { object["since"] = "2020-01-01T00:00:00Z" }
                    let body: JSONValue =
                        switch wrapper {
                        case "events": ["events": [.object(object)]]
                        case let key?: [key: .object(object)]
                        case nil: .object(object)
                        }
                    let key = path.contains("events") ? world.publisher : world.admin
                    let reply = try await api.call(method, path, key: key, body: body)
                    Self.expectRefusal(reply, "\(method) \(path) \(field)")
                }
            }
            #expect(try api.snapshot() == before)
        }
    }

    @Test func hostileIdsInPathsAreNotFound() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let before = try api.snapshot()
            for id in Self.hostileIds {
                for (method, path) in [
                    (HTTPRequest.Method.get, "/api/v1/webhooks/\(id)"), (.put, "/api/v1/webhooks/\(id)"),
                    (.delete, "/api/v1/webhooks/\(id)"), (.delete, "/api/v1/properties/\(id)"),
                    (.delete, "/api/v1/api_keys/\(id)"), (.post, "/api/v1/deliveries/\(id)/retry"),
                    (.get, "/api/v1/deliveries/\(id)"), (.post, "/api/v1/webhooks/\(id)/secret/rotate"),
                ] {
                    let reply = try await api.call(
                        method, path, key: world.admin, body: ["webhook": ["is_active": true]])
                    #expect(reply.status == .notFound, "\(method) \(path.prefix(60)): \(reply.status)")
                    #expect(reply.errorCode == "resource_not_found")
                }
            }
            #expect(try api.snapshot() == before)
        }
    }

    @Test func sqlMetacharactersInFiltersAreValidationErrors() async throws {
        try await TestHerald().run { api in
            let world = try await api.world()
            let webhook = try #require(
                try await api.webhook(key: world.admin, property: world.property, url: "https://8.8.8.8/").id)
            for query in [
                "filter[property_id]=%27%20OR%201%3D1--", "filter[is_active]=1%27%3B%20DROP%20TABLE%20webhooks",
                "filter[is_global]=null", "pagination[limit]=-1", "pagination[page]=99999999999999999999",
            ] {
                let reply = try await api.call(.get, "/api/v1/webhooks?\(query)", key: world.admin)
                #expect(reply.status == .unprocessableContent, "\(query)")
            }
            let deliveries = try await api.call(
                .get, "/api/v1/webhooks/\(webhook.text)/deliveries?filter[status]=%27%3B%20DROP%20TABLE%20deliveries--",
                key: world.admin)
            #expect(deliveries.status == .unprocessableContent)
            let list = try await api.call(.get, "/api/v1/webhooks", key: world.admin)
            #expect(list.json["meta"]?["total"] == 1)
        }
    }

    static func expectRefusal(_ reply: Reply, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect((400..<500).contains(reply.status.code), "\(what): \(reply.status)", sourceLocation: sourceLocation)
        #expect(
            reply.json["errors"]?["code"]?.stringValue != nil, "\(what): not the Channex error shape",
            sourceLocation: sourceLocation)
        #expect(reply.json["errors"]?["title"]?.stringValue != nil, sourceLocation: sourceLocation)
    }
}
