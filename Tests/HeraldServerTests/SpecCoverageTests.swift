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
        let served = Set(
            router.routes.filter { $0.method != .head }.map {
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
}
