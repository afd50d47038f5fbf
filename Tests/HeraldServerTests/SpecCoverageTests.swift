import Foundation
import HeraldCore
import HeraldDelivery
import Prometheus
import Testing

@testable import HeraldServer

/// `api-spec/openapi.yaml` and the router describe the same operations: a route the spec lacks,
/// or an operation no route serves, fails here.
@Suite struct SpecCoverageTests {
    @Test func everyRouteIsInTheSpecAndEveryOperationIsARoute() async throws {
        let herald = try await TestHerald()
        defer { herald.removeDatabase() }
        var configuration = herald.configuration
        configuration.metrics = PrometheusCollectorRegistry()
        configuration.openAPISpec = Self.spec
        let runtime = DeliveryRuntime(
            courier: Courier(
                sender: HTTPSender(client: .shared, timeouts: .init()),
                targets: DeliveryTargets(policy: TargetPolicy(), resolver: StubResolver([:]))),
            clock: .system)
        let router = buildRouter(store: herald.store, runtime: runtime, configuration: configuration)
        // The portal's pages are HTML for browsers, not API operations (PortalTests cover them).
        let served = Set(
            router.routes.filter { $0.method != .head && !$0.path.description.hasPrefix("/portal") }.map {
                "\($0.method.rawValue) \(Self.shape($0.path.description))"
            })
        let specified = try Self.operations()
        #expect(served.subtracting(specified).sorted() == [], "routes missing from the spec")
        #expect(specified.subtracting(served).sorted() == [], "operations no route serves")
        #expect(served.count > 30)
    }

    static var spec: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("api-spec/openapi.yaml")
    }

    /// `/api/v1/webhooks/:id` and `/api/v1/webhooks/{id}` both as `/api/v1/webhooks/{}`.
    static func shape(_ path: String) -> String {
        "/"
            + path.split(separator: "/").map { segment in
                segment.hasPrefix(":") || segment.hasPrefix("{") ? "{}" : String(segment)
            }.joined(separator: "/")
    }

    /// `METHOD /path` of every operation under `paths:` (the spec's own indentation: paths at two
    /// spaces, methods at four).
    static func operations() throws -> Set<String> {
        var operations: Set<String> = []
        var path: String?
        var inPaths = false
        for line in try String(contentsOf: spec, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        {
            if line == "paths:" {
                inPaths = true
                continue
            }
            guard inPaths else { continue }
            if let first = line.first, first != " " { break }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = shape(String(line.dropFirst(2).dropLast()))
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(method) {
                    operations.insert("\(method.uppercased()) \(path)")
                }
            }
        }
        return operations
    }

    /// The spec's patterns for an event mask and an event name accept every event of the catalog
    /// and every alias, and the ARI filter form, so a client that validates against the spec never
    /// refuses what Herald takes; names outside the catalog do not match.
    @Test func theSpecPatternsForMasksAndNamesFollowTheCatalog() throws {
        let text = try String(contentsOf: Self.spec, encoding: .utf8)
        func pattern(after anchor: String) throws -> NSRegularExpression {
            let start = try #require(text.range(of: anchor))
            let line = try #require(text[start.upperBound...].range(of: "pattern: \"")).upperBound
            let end = try #require(text[line...].firstIndex(of: "\""))
            return try NSRegularExpression(pattern: text[line..<end].replacingOccurrences(of: "\\\\", with: "\\"))
        }
        func matches(_ regex: NSRegularExpression, _ value: String) -> Bool {
            regex.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
        }
        let mask = try pattern(after: "    EventMask:")
        let name = try pattern(after: "    EventWrite:")
        let room = "96a44e07-2158-43e4-8baa-8f6f56922ba8"
        for event in EventCatalog.names + EventCatalog.aliases.keys {
            #expect(matches(mask, event), "\(event)")
            #expect(matches(name, event), "\(event)")
            // A mask spells the form GET /api/v1/webhooks answers back.
            #expect(try EventMask(parsing: event).raw == event)
        }
        for valid in ["*", " booking_new ; ari ", "ari:rate,min_stay:*:\(room)", "ari:*:\(room),\(room):*"] {
            #expect(matches(mask, valid), "\(valid)")
            #expect((try? EventMask(parsing: valid)) != nil, "\(valid)")
        }
        for invalid in ["bookings", "booking;*", "ari:price:*:*", "ari:rate:room-1:*", "", "booking;"] {
            #expect(!matches(mask, invalid), "\(invalid)")
            #expect((try? EventMask(parsing: invalid)) == nil, "\(invalid)")
        }
        #expect(!matches(name, "bookings") && !matches(name, "*"))
    }
}
