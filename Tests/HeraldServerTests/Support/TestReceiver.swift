import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real HTTP endpoint on a random loopback port that records what it receives and answers as
/// the test scripts it.
final class TestReceiver: Sendable {
    struct Received: Sendable {
        var path: String
        var query: String?
        /// The Host the client named.
        var authority: String?
        var headers: HTTPFields
        var body: Data
        var at: Date

        func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
    }

    struct Answer: Sendable {
        var status: HTTPResponse.Status = .ok
        var headers: HTTPFields = [:]
        var body: String = #"{"ok":true}"#
        var delay: Duration?
        /// Sends the headers at once, then the body one byte per `trickle`.
        var trickle: Duration?
    }

    typealias Script = @Sendable (_ number: Int, _ request: Received) -> Answer

    let port: Int
    private let received = Mutex<[Received]>([])
    private let group: Mutex<ServiceGroup?> = Mutex(nil)
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    var url: String { "http://127.0.0.1:\(port)" }
    var requests: [Received] { received.withLock { $0 } }

    private init(port: Int) {
        self.port = port
    }

    /// Starts a receiver; `script` decides each answer (200 `{"ok":true}` by default).
    static func start(_ script: @escaping Script = { _, _ in Answer() }) async throws -> TestReceiver {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let box = Mutex<TestReceiver?>(nil)
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var request = request
            let buffer = try await request.collectBody(upTo: 16 * 1024 * 1024)
            let item = Received(
                path: request.uri.path, query: request.uri.query, authority: request.head.authority,
                headers: request.headers,
                body: Data(buffer.readableBytesView), at: Date())
            guard let receiver = box.withLock({ $0 }) else { return Response(status: .serviceUnavailable) }
            let number = receiver.received.withLock { list in
                list.append(item)
                return list.count
            }
            let answer = script(number, item)
            if let delay = answer.delay { try? await Task.sleep(for: delay) }
            if let gap = answer.trickle {
                let bytes = Array(answer.body.utf8)
                return Response(
                    status: answer.status, headers: answer.headers,
                    body: ResponseBody(contentLength: bytes.count) { writer in
                        for byte in bytes {
                            try await writer.write(ByteBuffer(bytes: [byte]))
                            try await Task.sleep(for: gap)
                        }
                        try await writer.finish(nil)
                    })
            }
            return Response(
                status: answer.status, headers: answer.headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body)))
        }
        router.on("/", method: .post, use: handler)
        router.on("**", method: .post, use: handler)
        var logger = Logger(label: "test-receiver")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { _ = try? await serviceGroup.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw TestFailure("receiver did not start") }
        let receiver = TestReceiver(port: port)
        box.withLock { $0 = receiver }
        receiver.group.withLock { $0 = serviceGroup }
        receiver.task.withLock { $0 = task }
        return receiver
    }

    /// Waits until at least `count` requests came, or `timeout` passes; returns what came.
    @discardableResult
    func waitFor(_ count: Int, timeout: Duration = .seconds(30)) async throws -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let list = requests
            if list.count >= count { return list }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("expected \(count) requests, got \(requests.count)")
    }

    func stop() async {
        let group = group.withLock { $0 }
        await group?.triggerGracefulShutdown()
        let task = task.withLock { $0 }
        await task?.value
    }
}

/// An endpoint that takes connections and never reads or answers: a listening socket that
/// never accepts (the kernel completes the handshakes).
final class BlackHole: Sendable {
    let port: Int
    private let descriptor: Int32

    var url: String { "http://127.0.0.1:\(port)" }

    init() throws {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw TestFailure("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, 64) == 0 else { throw TestFailure("bind or listen failed") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        #if canImport(Glibc)
            _ = Glibc.close(descriptor)
        #else
            _ = Darwin.close(descriptor)
        #endif
    }
}
