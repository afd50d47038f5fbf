import Foundation
import HTTPTypes
import HeraldCore
import Testing

/// Tenants and properties can be changed and deleted, by the keys that should.
@Suite struct TenantAndPropertyTests {
    @Test(arguments: Backend.allCases)
    func tenantAdminsChangeTheirTenantAndPlatformAdminsDeleteIt(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let other = try await api.tenant("Other")
            let path = "/api/v1/tenants/\(world.tenant.text)"
            let changed = try await api.call(
                .put, path, key: world.admin,
                body: ["tenant": ["name": "Acme Resorts", "demo_mode": true, "octo_supplier": ["id": "s-9"]]])
            #expect(changed.status == .ok)
            let read = try await api.call(.get, path, key: world.admin)
            #expect(read.attributes?["name"] == "Acme Resorts")
            #expect(read.attributes?["demo_mode"] == true)
            #expect(read.attributes?["octo_supplier"] == ["id": "s-9"])
            // Demo mode now holds for new events.
            _ = try await api.activeWebhook(in: world, url: "https://example.com/h")
            #expect(try await api.publish(world, "booking_new").attributes?["deliveries"] == 0)
            let cleared = try await api.call(
                .put, path, key: api.admin, body: ["tenant": ["octo_supplier": nil, "demo_mode": false]])
            #expect(cleared.attributes?["octo_supplier"] == .null)
            #expect(cleared.attributes?["name"] == "Acme Resorts")

            for (body, field) in [
                (["tenant": ["name": "  "]], "name"), (["tenant": ["octo_supplier": "x"]], "octo_supplier"),
            ] as [(JSONValue, String)] {
                let bad = try await api.call(.put, path, key: world.admin, body: body)
                #expect(bad.status == .unprocessableContent)
                #expect(bad.details?[field] != nil)
            }
            let user = try await api.key(.user, in: world.tenant)
            #expect(try await api.call(.put, path, key: user, body: ["tenant": ["name": "X"]]).status == .forbidden)
            let theirs = try await api.call(
                .put, "/api/v1/tenants/\(other.text)", key: world.admin, body: ["tenant": ["name": "Mine now"]])
            #expect(theirs.status == .notFound)

            #expect(try await api.call(.delete, path, key: world.admin).status == .forbidden)
            #expect(try await api.call(.delete, path, key: api.admin).status == .ok)
            #expect(try await api.call(.get, path, key: api.admin).status == .notFound)
            #expect(try await api.call(.delete, path, key: api.admin).status == .notFound)
            // Its keys went with it; the other tenant is untouched.
            #expect(try await api.call(.get, "/api/v1/webhooks", key: world.admin).status == .unauthorized)
            #expect(try await api.call(.get, "/api/v1/tenants/\(other.text)", key: api.admin).status == .ok)
        }
    }

    @Test(arguments: Backend.allCases)
    func adminsRenameProperties(_ backend: Backend) async throws {
        try await TestHerald(backend).run { api in
            let world = try await api.world()
            let path = "/api/v1/properties/\(world.property.text)"
            let renamed = try await api.call(.put, path, key: world.admin, body: ["property": ["title": "Seaview"]])
            #expect(renamed.status == .ok)
            #expect(try await api.call(.get, path, key: world.admin).attributes?["title"] == "Seaview")
            let moved = try await api.call(
                .put, path, key: api.admin, body: ["property": ["tenant_id": .string(UUID().text)]])
            #expect(moved.details?["tenant_id"] == ["cannot be changed"])
            // What was read goes back unchanged.
            let read = try #require(try await api.call(.get, path, key: world.admin).attributes)
            #expect(try await api.call(.put, path, key: world.admin, body: ["property": read]).status == .ok)
            let user = try await api.key(.user, in: world.tenant)
            #expect(try await api.call(.put, path, key: user, body: ["property": ["title": "X"]]).status == .forbidden)
            let stranger = try await api.key(.admin, in: try await api.tenant("Other"))
            #expect(
                try await api.call(.put, path, key: stranger, body: ["property": ["title": "X"]]).status == .notFound)
        }
    }
}
