import Foundation
import HTTPTypes
import HeraldCore
import Testing

extension TestAPI {
    /// An OCTO request with `Authorization: Bearer` and `Octo-Capabilities`.
    func octo(
        _ method: HTTPRequest.Method, _ path: String, key: String, body: JSONValue? = nil,
        capabilities: String? = "octo/webhooks"
    ) async throws -> Reply {
        var headers: HTTPFields = [.authorization: "Bearer \(key)"]
        if let capabilities { headers[HTTPField.Name("Octo-Capabilities")!] = capabilities }
        return try await call(method, path, key: nil, body: body, headers: headers)
    }

    /// A tenant with an OCTO supplier, an admin key and a publisher key.
    func octoWorld() async throws -> World {
        let reply = try await call(
            .post, "/api/v1/tenants", key: admin,
            body: ["tenant": ["name": "Merlin", "octo_supplier": OctoTests.supplier]])
        let tenant = try #require(reply.id)
        return World(
            tenant: tenant, property: try await property(in: tenant), admin: try await key(.admin, in: tenant),
            publisher: try await key(.publisher, in: tenant))
    }
}

@Suite struct OctoTests {
    static let supplier: JSONValue = [
        "id": "697e3ce8-1860-4cbf-80ad-95857df1f640", "name": "Merlin Entertainments",
        "endpoint": "https://api.my-booking-platform.com/v1",
        "contact": [
            "website": nil, "email": "support@ventrata.com", "telephone": nil, "address": "Marble Arch, London",
        ],
    ]

    static func booking(status: String, locales: [String] = ["en-GB"]) -> JSONValue {
        [
            "uuid": "559aed3d-6d5b-4fe0-bfca-99f5e7218a56", "testMode": false, "resellerReference": nil,
            "supplierReference": "XOPSUT", "status": .string(status),
            "productId": "6b903d44-dc24-4ca4-ae71-6bde6c4f4854",
            "optionId": "DEFAULT", "availabilityId": "2022-06-01T10:00:00+01:00",
            "contact": ["fullName": "Jane Doe", "locales": .array(locales.map(JSONValue.string)), "country": "GB"],
            "unitItems": [],
        ]
    }

    @Test(arguments: Backend.allCases)
    func createAppliesDefaultsAndTakesCapabilitiesFromTheHeader(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.octoWorld()
            let reply = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: [
                    "event": "booking.updated", "url": "https://hooks.example.com/octo/booking",
                    "headers": ["X-Hub-Token": "s3cr3t"],
                ],
                capabilities: "octo/webhooks, octo/pricing")
            #expect(reply.status == .ok)
            #expect(reply.headers[HTTPField.Name("Octo-Capabilities")!] == "octo/webhooks, octo/pricing")
            let id = try #require(reply.json["id"]?.stringValue)
            // The signing secret comes back once, on create.
            let secret = try #require(reply.json["signingSecret"]?.stringValue)
            #expect(secret.hasPrefix("whsec_"))
            #expect(
                reply.json == [
                    "id": .string(id), "event": "booking_update", "url": "https://hooks.example.com/octo/booking",
                    "retryOnError": true, "useContactLanguage": true, "headers": ["X-Hub-Token": "s3cr3t"],
                    "capabilities": ["octo/pricing"], "signingSecret": .string(secret),
                ])
            let listed = try await api.octo(.get, "/octo/webhooks", key: world.admin)
            #expect(listed.json.arrayValue?.first?["signingSecret"] == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func orderUpdateAlwaysAddsCart(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.octoWorld()
            let reply = try await api.octo(
                .post, "/octo/webhooks/", key: world.admin,
                body: ["event": "order_update", "url": "https://hooks.example.com/o"])
            #expect(reply.json["capabilities"] == ["octo/cart"])
        }
    }

    @Test(arguments: Backend.allCases)
    func errorsComeInTheOctoShape(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.octoWorld()
            let body: JSONValue = ["event": "booking_update", "url": "https://hooks.example.com/b"]
            let noCapability = try await api.octo(
                .post, "/octo/webhooks", key: world.admin, body: body, capabilities: "octo/pricing")
            #expect(noCapability.status == .forbidden)
            #expect(noCapability.json["error"] == "FORBIDDEN")
            #expect(noCapability.json["errorMessage"]?.stringValue?.contains("octo/webhooks") == true)
            let noKey = try await api.call(.get, "/octo/webhooks", key: nil)
            #expect(noKey.status == .unauthorized)
            #expect(noKey.json["error"] == "UNAUTHORIZED")
            let badEvent = try await api.octo(
                .post, "/octo/webhooks", key: world.admin, body: ["event": "nope", "url": "https://x.example"])
            #expect(badEvent.status == .badRequest)
            #expect(badEvent.json["error"] == "BAD_REQUEST")
            let malformed = try await api.call(
                .post, "/octo/webhooks", key: nil, raw: "{",
                headers: [
                    .authorization: "Bearer \(world.admin)", HTTPField.Name("Octo-Capabilities")!: "octo/webhooks",
                ])
            #expect(malformed.json["error"] == "BAD_REQUEST")
            let unknown = try await api.octo(
                .patch, "/octo/webhooks/abc", key: world.admin, body: ["retryOnError": false])
            #expect(unknown.status == .badRequest)
            #expect(
                unknown.json == [
                    "error": "INVALID_WEBHOOK_ID", "errorMessage": "The webhook ID was invalid or missing",
                    "webhookId": "abc",
                ])
            let metadataTarget = try await TestHerald.closedPolicyReply(api, world)
            #expect(metadataTarget.json["error"] == "BAD_REQUEST")
            #expect(try await api.octo(.get, "/octo/webhooks", key: world.admin).json == [])
        }
    }

    @Test(arguments: Backend.allCases)
    func listPatchAndDeleteStayWithinTheTenant(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.octoWorld()
            let stranger = try await api.octoWorld()
            let created = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "booking_update", "url": "https://hooks.example.com/a"],
                capabilities: "octo/webhooks, octo/content")
            let id = try #require(created.json["id"]?.stringValue)
            #expect(try await api.octo(.get, "/octo/webhooks/", key: world.admin).json.arrayValue?.count == 1)
            #expect(try await api.octo(.get, "/octo/webhooks", key: stranger.admin).json == [])
            let foreign = try await api.octo(
                .patch, "/octo/webhooks/\(id)", key: stranger.admin, body: ["retryOnError": false])
            #expect(foreign.json["error"] == "INVALID_WEBHOOK_ID")
            let patched = try await api.octo(
                .patch, "/octo/webhooks/\(id)/", key: world.admin,
                body: ["retryOnError": false, "event": "AVAILABILITY_UPDATE"],
                capabilities: "octo/webhooks, octo/pricing")
            #expect(patched.json["retryOnError"] == false)
            #expect(patched.json["event"] == "availability_update")
            #expect(patched.json["capabilities"] == ["octo/pricing"])
            #expect(patched.json["useContactLanguage"] == true)
            let deleted = try await api.octo(.delete, "/octo/webhooks/\(id)", key: world.admin)
            #expect(deleted.json["id"] == .string(id))
            #expect(try await api.octo(.get, "/octo/webhooks", key: world.admin).json == [])
        }
    }

    @Test(arguments: Backend.allCases)
    func deleteByURLWithOptionalEventFromBodyOrQuery(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.octoWorld()
            for event in ["booking_update", "availability_update"] {
                _ = try await api.octo(
                    .post, "/octo/webhooks", key: world.admin,
                    body: ["event": .string(event), "url": "https://hooks.example.com/same"])
            }
            _ = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "booking_update", "url": "https://hooks.example.com/other"])
            let one = try await api.octo(
                .delete, "/octo/webhooks", key: world.admin,
                body: ["url": "https://hooks.example.com/same", "event": "booking.updated"])
            #expect(one.json.arrayValue?.map { $0["event"] } == ["booking_update"])
            let rest = try await api.octo(
                .delete, "/octo/webhooks/?url=https%3A%2F%2Fhooks.example.com%2Fsame", key: world.admin)
            #expect(rest.json.arrayValue?.count == 1)
            #expect(try await api.octo(.get, "/octo/webhooks", key: world.admin).json.arrayValue?.count == 1)
            let missing = try await api.octo(.delete, "/octo/webhooks", key: world.admin)
            #expect(missing.json["error"] == "BAD_REQUEST")
        }
    }

    @Test(arguments: Backend.allCases)
    func octoWebhooksShowReadOnlyInTheChannexList(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.octoWorld()
            let created = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "booking_update", "url": "https://hooks.example.com/a"])
            let id = try #require(created.json["id"]?.stringValue)
            let list = try await api.call(.get, "/api/v1/webhooks", key: world.admin)
            let item = try #require(list.items.first)
            #expect(item["attributes"]?["dialect"] == "octo")
            var read = try #require(created.json.objectValue)
            read["signingSecret"] = nil
            #expect(item["attributes"]?["octo"] == .object(read))
            let put = try await api.call(
                .put, "/api/v1/webhooks/\(id)", key: world.admin, body: ["webhook": ["is_active": false]])
            #expect(put.status == .forbidden)
            #expect(try await api.call(.delete, "/api/v1/webhooks/\(id)", key: world.admin).status == .forbidden)
        }
    }

    @Test(arguments: Backend.allCases)
    func bookingUpdatesCarryWebhookBookingDiffAndSupplier(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.octoWorld()
            let url = receiver.url.replacingOccurrences(of: "http://", with: "http://user:pass@") + "/octo"
            let created = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "booking_update", "url": .string(url), "headers": ["X-Hub-Token": "t"]],
                capabilities: "octo/webhooks, octo/pricing")
            let secret = try #require(
                try await api.call(
                    .get, "/api/v1/webhooks/\(created.json["id"]!.stringValue!)/secret", key: world.admin
                )
                .attributes?["signing_secret"]?.stringValue)
            _ = try await api.publish(
                world, "booking_update", property: .some(nil), payload: ["booking": Self.booking(status: "ON_HOLD")])
            _ = try await api.publish(
                world, "booking.updated", property: .some(nil), payload: ["booking": Self.booking(status: "CONFIRMED")])
            let requests = try await receiver.waitFor(2)
            let bodies = try requests.sorted { $0.at < $1.at }.map { try JSONValue.decode($0.body) }
            let first = try #require(bodies.first { $0["booking"]?["status"] == "ON_HOLD" })
            let second = try #require(bodies.first { $0["booking"]?["status"] == "CONFIRMED" })
            var read = try #require(created.json.objectValue)
            read["signingSecret"] = nil
            #expect(first["webhook"] == .object(read))
            // The URL's password is masked in the body too.
            #expect(first["webhook"]?["url"]?.stringValue?.contains("user:****@") == true)
            #expect(first["diff"] == [])
            #expect(first["supplier"] == Self.supplier)
            #expect(second["diff"] == [["op": "replace", "path": "/status", "was": "ON_HOLD", "value": "CONFIRMED"]])
            for request in requests {
                try StandardWebhooksVerifier.verify(request, secret: secret)
                #expect(request.header("Authorization") == "Basic " + Data("user:pass".utf8).base64EncodedString())
                #expect(request.header("X-Hub-Token") == "t")
            }
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func aPublishersDiffIsKeptAndAvailabilityCarriesProductAndOption(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.octoWorld()
            _ = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "availability_update", "url": .string(receiver.url)])
            let availability: JSONValue = [
                "id": "2022-05-23T00:00:00+01:00", "status": "AVAILABLE", "vacancies": 10, "capacity": 10,
            ]
            let diff: JSONValue = [["op": "replace", "path": "/vacancies", "was": 11, "value": 10]]
            _ = try await api.publish(
                world, "availability_update", property: .some(nil),
                payload: ["availability": availability, "productId": "prod-001", "optionId": "opt-001", "diff": diff])
            let body = try JSONValue.decode(try await receiver.waitFor(1)[0].body)
            #expect(body["availability"] == availability)
            #expect(body["productId"] == "prod-001")
            #expect(body["optionId"] == "opt-001")
            #expect(body["diff"] == diff)
            #expect(body["webhook"]?["event"] == "availability_update")
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func retryOnErrorFalseMeansASingleTry(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start { _, _ in .init(status: .internalServerError) }
        try await TestHerald(backend).run { api in
            let world = try await api.octoWorld()
            let created = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "booking_update", "url": .string(receiver.url), "retryOnError": false])
            let id = try #require(created.json["id"]?.stringValue.flatMap { UUID(uuidString: $0) })
            _ = try await api.publish(
                world, "booking_update", property: .some(nil), payload: ["booking": Self.booking(status: "CONFIRMED")])
            let delivery = try #require(try await api.deliveries(of: id).first?["id"]?.stringValue)
            let settled = try await api.waitForDelivery(delivery) { $0["status"] == "failed" }
            #expect(settled["attempts"] == 1)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func useContactLanguagePicksTheContactsLocale(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.octoWorld()
            _ = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: ["event": "booking_update", "url": .string(receiver.url + "/contact")])
            _ = try await api.octo(
                .post, "/octo/webhooks", key: world.admin,
                body: [
                    "event": "booking_update", "url": .string(receiver.url + "/default"), "useContactLanguage": false,
                ])
            var german = Self.booking(status: "CONFIRMED", locales: ["de-DE"])
            if case .object(var object) = german {
                object["notes"] = "Auf Deutsch"
                german = .object(object)
            }
            _ = try await api.publish(
                world, "booking_update", property: .some(nil),
                payload: [
                    "booking": Self.booking(status: "CONFIRMED", locales: ["de-DE"]), "localized": ["de": german],
                ])
            let requests = try await receiver.waitFor(2)
            let byPath = Dictionary(uniqueKeysWithValues: try requests.map { ($0.path, try JSONValue.decode($0.body)) })
            #expect(byPath["/contact"]?["booking"]?["notes"] == "Auf Deutsch")
            #expect(byPath["/default"]?["booking"]?["notes"] == nil)
            #expect(byPath["/contact"]?["localized"] == nil)
        }
        await receiver.stop()
    }
}

@Suite struct FareHarborOptionTests {
    @Test(arguments: Backend.allCases)
    func testEventsReachOnlyTestEndpointsAndLiveEventsNeverDo(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            _ = try await api.activeWebhook(in: world, url: receiver.url + "/live")
            _ = try await api.activeWebhook(in: world, url: receiver.url + "/test", ["receives_test_events": true])
            let test = try await api.publish(world, "booking_new", ["test": true])
            let live = try await api.publish(world, "booking_new")
            #expect(test.attributes?["deliveries"] == 1)
            #expect(live.attributes?["deliveries"] == 1)
            let requests = try await receiver.waitFor(2)
            let paths = Dictionary(grouping: requests, by: \.path).mapValues(\.count)
            #expect(paths == ["/live": 1, "/test": 1])
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func creationsOnlyAndCancellationsOnlyAreEventMasks(_ backend: Backend) async throws {
        let receiver = try await TestReceiver.start()
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            _ = try await api.activeWebhook(in: world, url: receiver.url + "/creations", mask: "booking_new")
            _ = try await api.activeWebhook(
                in: world, url: receiver.url + "/cancellations", mask: "booking_cancellation")
            _ = try await api.publish(world, "booking_new")
            _ = try await api.publish(world, "booking_modification")
            _ = try await api.publish(world, "booking_cancellation")
            let requests = try await receiver.waitFor(2)
            try await api.waitUntilSettled()
            #expect(Set(receiver.requests.map(\.path)) == ["/creations", "/cancellations"])
            #expect(requests.count == 2)
        }
        await receiver.stop()
    }

    @Test(arguments: Backend.allCases)
    func threeRetriesSixtySecondsApartIsARetryPolicy(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let reply = try await api.webhook(
                key: world.admin, property: world.property, ["retry_policy": ["schedule_seconds": [60, 60, 60]]])
            #expect(reply.status == .created)
            #expect(reply.attributes?["retry_policy"] == ["schedule_seconds": [60, 60, 60]])
        }
    }
}

extension TestHerald {
    /// An OCTO create pointing at the metadata address, with the default policy in force for it.
    static func closedPolicyReply(_ api: TestAPI, _ world: World) async throws -> Reply {
        try await api.octo(
            .post, "/octo/webhooks", key: world.admin,
            body: ["event": "booking_update", "url": "http://169.254.169.254/"])
    }
}
