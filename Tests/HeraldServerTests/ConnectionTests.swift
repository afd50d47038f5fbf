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
}
