import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Testing

/// Connections that say nothing, or trickle their headers, are closed; requests still work.
@Suite struct ConnectionTests {
    /// Waits until the server closes `channel`; false if it is still open after `limit`.
    static func closedByServer(_ channel: any Channel, within limit: Duration) async throws -> Bool {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await channel.closeFuture.get()
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            try? await channel.close()
            return first
        }
    }

    @Test func idleAndTricklingConnectionsAreClosedAfterTheHeaderTimeout() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-conn-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let herald = try HeraldProcess(
            database: directory.appendingPathComponent("herald.sqlite").path,
            environment: ["HERALD_HEADER_TIMEOUT": "1"])
        defer { herald.stop() }
        try await herald.waitUntilReady()
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)

        let silent = try await bootstrap.connect(host: "127.0.0.1", port: herald.port).get()
        let trickling = try await bootstrap.connect(host: "127.0.0.1", port: herald.port).get()
        let trickle = Task {
            for byte in "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8 {
                try await trickling.writeAndFlush(ByteBuffer(bytes: [byte]))
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        // The deadline bounds a failing test; the server's own is 1 s.
        #expect(try await Self.closedByServer(silent, within: .seconds(15)))
        #expect(try await Self.closedByServer(trickling, within: .seconds(15)))
        trickle.cancel()
        // A request that comes whole is answered as ever.
        let health = try await herald.call("GET", "/health", key: "")
        #expect(health["status"] == "ok")
    }

    /// With an admin port, readiness and metrics (which name tenants with
    /// `--metrics-per-tenant`) are served there and nowhere else; the API port keeps `/health`.
    @Test func readinessAndMetricsMoveToTheAdminPort() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-admin-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let adminPort = try HeraldProcess.freePort()
        let herald = try HeraldProcess(
            database: directory.appendingPathComponent("herald.sqlite").path,
            environment: ["HERALD_ADMIN_PORT": String(adminPort)])
        defer { herald.stop() }
        let admin = "http://127.0.0.1:\(adminPort)"
        try await herald.waitUntilReady(at: admin + "/ready")
        func get(_ url: String) async throws -> (status: UInt, body: String) {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (response.status.code, String(buffer: body))
        }
        #expect(try await get(herald.url + "/metrics").status == 404)
        #expect(try await get(herald.url + "/ready").status == 404)
        #expect(try await get(herald.url + "/health").status == 200)
        let metrics = try await get(admin + "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("herald_"))
        #expect(try await get(admin + "/health").status == 200)
        #expect(try await get(admin + "/api/v1/webhooks").status == 404)
    }
}
