import AsyncHTTPClient
import Foundation
import HeraldCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends deliveries over HTTP: no redirects followed, a connect timeout and a total deadline,
/// at most 4 KiB of each response kept and no more than 64 KiB read, and only to addresses the
/// target policy checked. ``Courier`` bounds a whole attempt, body included, by the same deadline.
public final class HTTPSender: Sendable {
    public struct Timeouts: Sendable {
        public var connect: Duration
        public var total: Duration

        public init(connect: Duration = .seconds(5), total: Duration = .seconds(15)) {
            self.connect = connect
            self.total = total
        }
    }

    public let client: HTTPClient
    public let timeouts: Timeouts
    /// Clients that connect a host name to one checked address (`dnsOverride`), so a name cannot
    /// resolve to something else between the check and the connection. Keyed by `host|address`.
    private let pinned: PinnedClients

    public init(client: HTTPClient, timeouts: Timeouts, maxPinnedClients: Int = 256) {
        self.client = client
        self.timeouts = timeouts
        self.pinned = PinnedClients(capacity: maxPinnedClients)
    }

    /// A sender with its own client.
    public convenience init(timeouts: Timeouts, maxPinnedClients: Int = 256) {
        self.init(client: Self.makeClient(timeouts: timeouts), timeouts: timeouts, maxPinnedClients: maxPinnedClients)
    }

    /// How many pinned clients are kept now.
    public var pinnedClientCount: Int { pinned.count }

    /// Shuts every client down.
    public func shutdown() async throws {
        for pinnedClient in pinned.removeAll() { try? await pinnedClient.shutdown() }
        try await client.shutdown()
    }

    /// A client configured the way every delivery must be sent.
    public static func makeClient(timeouts: Timeouts, dnsOverride: [String: String] = [:]) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: TimeAmount(timeouts.connect), read: TimeAmount(timeouts.total))
        configuration.decompression = .disabled
        configuration.connectionPool = .init(idleTimeout: .seconds(60))
        // A refused connection ends the attempt at once instead of being retried until the connect
        // timeout: the delivery's own retry schedule tries again, and the slot goes to others.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.dnsOverride = dnsOverride
        // No client spans of AsyncHTTPClient's own: they would export the callback URL's path and
        // query, where receivers keep their secrets. The attempt's span is Herald's (Dispatcher).
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Sends `outbound`; with a `target`, connects only to its checked address (through a client
    /// pinned to it when the URL names a host).
    public func send(_ outbound: OutboundRequest, to target: CheckedTarget? = nil) async -> AttemptOutcome {
        guard let target, !target.isLiteral else { return await send(outbound, with: client) }
        let key = "\(target.host.lowercased())|\(target.address)"
        let (pinnedClient, evicted) = pinned.checkOut(key) {
            Self.makeClient(timeouts: timeouts, dnsOverride: [target.host: target.address.description])
        }
        // The evicted client was idle: nothing of ours is on its connections.
        if let evicted { try? await evicted.shutdown() }
        let outcome = await send(outbound, with: pinnedClient)
        pinned.checkIn(key)
        return outcome
    }

    func send(_ outbound: OutboundRequest, with httpClient: HTTPClient) async -> AttemptOutcome {
        let started = ContinuousClock.now
        func elapsed() -> Int { (ContinuousClock.now - started).milliseconds }
        var request = HTTPClientRequest(url: outbound.url)
        request.method = .POST
        for header in outbound.headers { request.headers.add(name: header.name, value: header.value) }
        request.headers.replaceOrAdd(name: "Content-Length", value: String(outbound.body.count))
        TraceContext.inject(into: &request.headers)
        request.body = .bytes(ByteBuffer(bytes: outbound.body))
        let deadline = NIODeadline.now() + TimeAmount(timeouts.total)
        do {
            let response = try await httpClient.execute(request, deadline: deadline)
            var kept = ByteBuffer()
            var seen = 0
            for try await chunk in response.body {
                seen += chunk.readableBytes
                if kept.readableBytes < DeliveryAttempt.maxResponseBytes {
                    var piece = chunk
                    let take = min(piece.readableBytes, DeliveryAttempt.maxResponseBytes - kept.readableBytes)
                    if let slice = piece.readSlice(length: take) { kept.writeImmutableBuffer(slice) }
                }
                // Past 64 KiB the rest is not worth reading; the connection is dropped instead.
                if seen > 64 * 1024 { break }
            }
            return .answered(
                statusCode: Int(response.status.code), body: Self.text(kept),
                retryAfter: response.headers.first(name: "Retry-After").flatMap(Self.retryAfter),
                durationMs: elapsed())
        } catch {
            return .transportError(Self.describe(error), durationMs: elapsed())
        }
    }

    static func text(_ buffer: ByteBuffer) -> String? {
        guard buffer.readableBytes > 0 else { return nil }
        return String(decoding: buffer.readableBytesView, as: UTF8.self)
    }

    /// `Retry-After` as seconds or an HTTP date.
    static func retryAfter(_ value: String) -> TimeInterval? {
        if let seconds = Int(value.trimmingCharacters(in: .whitespaces)), seconds >= 0 { return TimeInterval(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }

    /// What the attempt log says of an attempt that hit its deadline.
    static let timeoutError = "timeout: no complete response in time"

    /// A short cause for the attempt log.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
            return timeoutError
        case let error as HTTPClientError where error == .connectTimeout:
            return "connect timeout"
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            return "connection closed by the endpoint"
        default:
            let text = String(describing: error)
            if text.contains("connectTimeout") { return "connect timeout" }
            if text.contains("Connection refused") || text.contains("connectionRefused") { return "connection refused" }
            if text.contains("deadlineExceeded") || text.contains("readTimeout") { return timeoutError }
            return scrubbingAddresses(String(text.prefix(300)))
        }
    }

    /// `text` with IP addresses replaced: a transport error names the address it connected to,
    /// and what a tenant's name resolved to is not the tenant's to see.
    public static func scrubbingAddresses(_ text: String) -> String {
        text.replacing(addressPattern, with: "<address>")
    }

    nonisolated(unsafe) static let addressPattern =
        #/(\d{1,3}\.){3}\d{1,3}|\[?[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}(%\w+)?\]?/#
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
