import Foundation
import HTTPTypes
import HeraldCore
import Testing

/// Every role against every route, on its own tenant and on another's: the status, and that an
/// error changed nothing.
@Suite struct IsolationMatrixTests {
    enum Caller: String, CaseIterable, Sendable {
        case platformAdmin, tenantAdmin, scopedUser, user, publisher, revoked, anonymous
    }

    struct Fixture: Sendable {
        var ownTenant: UUID
        var ownProperty: UUID
        var ownWebhook: UUID
        var ownGlobal: UUID
        var otherTenant: UUID
        var otherProperty: UUID
        var otherWebhook: UUID
        var otherKeyId: String
    }

    struct Cell {
        var name: String
        var method: HTTPRequest.Method
        var path: String
        var body: JSONValue?
        var expected: [Caller: HTTPResponse.Status]
    }

    /// Expected statuses: `ok` for admins and users, and the usual answers for the rest.
    static func expect(
        platform: HTTPResponse.Status, tenantAdmin: HTTPResponse.Status, scopedUser: HTTPResponse.Status,
        user: HTTPResponse.Status, publisher: HTTPResponse.Status
    ) -> [Caller: HTTPResponse.Status] {
        [
            .platformAdmin: platform, .tenantAdmin: tenantAdmin, .scopedUser: scopedUser, .user: user,
            .publisher: publisher, .revoked: .unauthorized, .anonymous: .unauthorized,
        ]
    }

    static func cells(_ f: Fixture) -> [Cell] {
        let webhook: (UUID) -> JSONValue = { property in
            [
                "webhook": [
                    "callback_url": "https://8.8.8.8/h", "event_mask": "*", "property_id": .string(property.text),
                ]
            ]
        }
        let event: (UUID) -> JSONValue = { property in
            ["event": ["name": "booking_new", "property_id": .string(property.text)]]
        }
        return [
            Cell(
                name: "list webhooks", method: .get, path: "/api/v1/webhooks",
                expected: expect(platform: .ok, tenantAdmin: .ok, scopedUser: .ok, user: .ok, publisher: .forbidden)),
            Cell(
                name: "get own webhook", method: .get, path: "/api/v1/webhooks/\(f.ownWebhook.text)",
                expected: expect(platform: .ok, tenantAdmin: .ok, scopedUser: .ok, user: .ok, publisher: .forbidden)),
            Cell(
                name: "get other webhook", method: .get, path: "/api/v1/webhooks/\(f.otherWebhook.text)",
                expected: expect(
                    platform: .ok, tenantAdmin: .notFound, scopedUser: .notFound, user: .notFound, publisher: .forbidden
                )),
            Cell(
                name: "get own global", method: .get, path: "/api/v1/webhooks/\(f.ownGlobal.text)",
                expected: expect(
                    platform: .ok, tenantAdmin: .ok, scopedUser: .notFound, user: .notFound, publisher: .forbidden)),
            Cell(
                name: "secret of own", method: .get, path: "/api/v1/webhooks/\(f.ownWebhook.text)/secret",
                expected: expect(platform: .ok, tenantAdmin: .ok, scopedUser: .ok, user: .ok, publisher: .forbidden)),
            Cell(
                name: "secret of other", method: .get, path: "/api/v1/webhooks/\(f.otherWebhook.text)/secret",
                expected: expect(
                    platform: .ok, tenantAdmin: .notFound, scopedUser: .notFound, user: .notFound, publisher: .forbidden
                )),
            Cell(
                name: "deliveries of other", method: .get, path: "/api/v1/webhooks/\(f.otherWebhook.text)/deliveries",
                expected: expect(
                    platform: .ok, tenantAdmin: .notFound, scopedUser: .notFound, user: .notFound, publisher: .forbidden
                )),
            Cell(
                name: "update own", method: .put, path: "/api/v1/webhooks/\(f.ownWebhook.text)",
                body: ["webhook": ["is_active": true]],
                expected: expect(platform: .ok, tenantAdmin: .ok, scopedUser: .ok, user: .ok, publisher: .forbidden)),
            Cell(
                name: "update other", method: .put, path: "/api/v1/webhooks/\(f.otherWebhook.text)",
                body: ["webhook": ["is_active": true]],
                expected: expect(
                    platform: .ok, tenantAdmin: .notFound, scopedUser: .notFound, user: .notFound, publisher: .forbidden
                )),
            Cell(
                name: "update own global", method: .put, path: "/api/v1/webhooks/\(f.ownGlobal.text)",
                body: ["webhook": ["is_active": true]],
                expected: expect(
                    platform: .ok, tenantAdmin: .ok, scopedUser: .notFound, user: .notFound, publisher: .forbidden)),
            Cell(
                name: "rotate other", method: .post, path: "/api/v1/webhooks/\(f.otherWebhook.text)/secret/rotate",
                expected: expect(
                    platform: .ok, tenantAdmin: .notFound, scopedUser: .notFound, user: .notFound, publisher: .forbidden
                )),
            Cell(
                name: "create on own property", method: .post, path: "/api/v1/webhooks", body: webhook(f.ownProperty),
                expected: expect(
                    platform: .created, tenantAdmin: .created, scopedUser: .created, user: .created,
                    publisher: .forbidden)),
            Cell(
                name: "create on other property", method: .post, path: "/api/v1/webhooks",
                body: webhook(f.otherProperty),
                expected: expect(
                    platform: .created, tenantAdmin: .unprocessableContent, scopedUser: .unprocessableContent,
                    user: .unprocessableContent, publisher: .forbidden)),
            Cell(
                name: "get own property", method: .get, path: "/api/v1/properties/\(f.ownProperty.text)",
                expected: expect(platform: .ok, tenantAdmin: .ok, scopedUser: .ok, user: .ok, publisher: .ok)),
            Cell(
                name: "get other property", method: .get, path: "/api/v1/properties/\(f.otherProperty.text)",
                expected: expect(
                    platform: .ok, tenantAdmin: .notFound, scopedUser: .notFound, user: .notFound, publisher: .notFound)
            ),
            Cell(
                name: "create property", method: .post, path: "/api/v1/properties",
                body: ["property": ["title": "New", "tenant_id": .string(f.ownTenant.text)]],
                expected: expect(
                    platform: .created, tenantAdmin: .created, scopedUser: .forbidden, user: .forbidden,
                    publisher: .forbidden)),
            Cell(
                name: "publish own", method: .post, path: "/api/v1/events", body: event(f.ownProperty),
                expected: expect(
                    platform: .forbidden, tenantAdmin: .accepted, scopedUser: .forbidden, user: .forbidden,
                    publisher: .accepted)),
            Cell(
                name: "publish other", method: .post, path: "/api/v1/events", body: event(f.otherProperty),
                expected: expect(
                    platform: .forbidden, tenantAdmin: .unprocessableContent, scopedUser: .forbidden, user: .forbidden,
                    publisher: .unprocessableContent)),
            Cell(
                name: "create tenant", method: .post, path: "/api/v1/tenants", body: ["tenant": ["name": "X"]],
                expected: expect(
                    platform: .created, tenantAdmin: .forbidden, scopedUser: .forbidden, user: .forbidden,
                    publisher: .forbidden)),
            Cell(
                name: "get other tenant", method: .get, path: "/api/v1/tenants/\(f.otherTenant.text)",
                expected: expect(
                    platform: .ok, tenantAdmin: .notFound, scopedUser: .notFound, user: .notFound, publisher: .notFound)
            ),
            Cell(
                name: "create key", method: .post, path: "/api/v1/api_keys",
                body: ["api_key": ["role": "user", "tenant_id": .string(f.ownTenant.text)]],
                expected: expect(
                    platform: .created, tenantAdmin: .created, scopedUser: .forbidden, user: .forbidden,
                    publisher: .forbidden)),
            Cell(
                name: "revoke other key", method: .delete, path: "/api/v1/api_keys/\(f.otherKeyId)",
                expected: expect(
                    platform: .ok, tenantAdmin: .notFound, scopedUser: .forbidden, user: .forbidden,
                    publisher: .forbidden)),
            Cell(
                name: "delete other webhook", method: .delete, path: "/api/v1/webhooks/\(f.otherWebhook.text)",
                expected: expect(
                    platform: .ok, tenantAdmin: .notFound, scopedUser: .notFound, user: .notFound, publisher: .forbidden
                )),
            Cell(
                name: "delete other property", method: .delete, path: "/api/v1/properties/\(f.otherProperty.text)",
                expected: expect(
                    platform: .ok, tenantAdmin: .notFound, scopedUser: .notFound, user: .notFound, publisher: .notFound)
            ),
            Cell(
                name: "delete own webhook", method: .delete, path: "/api/v1/webhooks/\(f.ownWebhook.text)",
                expected: expect(platform: .ok, tenantAdmin: .ok, scopedUser: .ok, user: .ok, publisher: .forbidden)),
        ]
    }

    @Test(arguments: Caller.allCases)
    func everyRouteAnswersAsTheRoleAllows(caller: Caller) async throws {
        // No dispatcher: its settling would change the database between two snapshots.
        var herald = try await TestHerald()
        herald.delivering = false
        try await herald.run { api in
            let own = try await api.world()
            let other = try await api.world()
            let ownWebhook = try #require(
                try await api.webhook(key: own.admin, property: own.property, url: "https://8.8.8.8/a").id)
            let ownGlobal = try #require(
                try await api.webhook(key: own.admin, property: nil, url: "https://8.8.8.8/g", ["is_global": true]).id)
            let otherWebhook = try #require(
                try await api.webhook(key: other.admin, property: other.property, url: "https://8.8.8.8/b").id)
            let otherKeys = try await api.call(
                .get, "/api/v1/api_keys?filter[tenant_id]=\(other.tenant.text)", key: api.admin)
            let fixture = Fixture(
                ownTenant: own.tenant, ownProperty: own.property, ownWebhook: ownWebhook, ownGlobal: ownGlobal,
                otherTenant: other.tenant, otherProperty: other.property, otherWebhook: otherWebhook,
                otherKeyId: try #require(otherKeys.items.first?["id"]?.stringValue))
            let key: String? =
                switch caller {
                case .platformAdmin: api.admin
                case .tenantAdmin: own.admin
                case .scopedUser: try await api.key(.user, in: own.tenant, scope: [own.property])
                case .user: try await api.key(.user, in: own.tenant)
                case .publisher: own.publisher
                case .revoked: try await revokedKey(api, tenant: own.tenant)
                case .anonymous: nil
                }
            for cell in Self.cells(fixture) {
                let before = try api.snapshot()
                let reply = try await api.call(cell.method, cell.path, key: key, body: cell.body)
                let expected = try #require(cell.expected[caller])
                #expect(reply.status == expected, "\(caller) \(cell.name): \(reply.json.encodedString())")
                if reply.status.code >= 400 {
                    #expect(reply.errorCode != nil, "\(caller) \(cell.name): no error shape")
                    #expect(try api.snapshot() == before, "\(caller) \(cell.name) changed the database")
                }
            }
        }
    }

    func revokedKey(_ api: TestAPI, tenant: UUID) async throws -> String {
        let reply = try await api.call(
            .post, "/api/v1/api_keys", key: api.admin,
            body: ["api_key": ["role": "admin", "tenant_id": .string(tenant.text)]])
        let id = try #require(reply.id)
        _ = try await api.call(.delete, "/api/v1/api_keys/\(id.text)", key: api.admin)
        return try #require(reply.attributes?["key"]?.stringValue)
    }
}
