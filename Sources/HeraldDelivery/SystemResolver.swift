import Foundation
import HeraldCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Resolves host names with the system resolver (`getaddrinfo`), off the cooperative pool.
public struct SystemResolver: HostResolver {
    /// Lookups under way or queued in this process.
    static let outstanding = Atomic<Int>(0)
    static let maxOutstanding = 64

    public init() {}

    /// `getaddrinfo` cannot be interrupted: when the caller is cancelled (its attempt's deadline
    /// passed) the answer is abandoned at once rather than waited for.
    public func resolve(host: String) async throws -> [IPAddress] {
        // Lookups abandoned but still running are bounded: past the bound a name fails at once
        // (and is retried later) rather than queueing behind a slow resolver.
        guard Self.outstanding.add(1, ordering: .relaxed).newValue <= Self.maxOutstanding else {
            Self.outstanding.subtract(1, ordering: .relaxed)
            throw ResolutionError(host: host)
        }
        let answer = OneAnswer<[IPAddress]>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                answer.await(continuation)
                NIOThreadPool.singleton.submit { _ in
                    defer { Self.outstanding.subtract(1, ordering: .relaxed) }
                    // Abandoned before its turn: nobody waits for it.
                    guard !answer.isGiven else { return }
                    answer.give(Result { try Self.lookup(host) })
                }
            }
        } onCancel: {
            answer.give(.failure(CancellationError()))
        }
    }

    static func lookup(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
            hints.ai_socktype = SOCK_STREAM
        #else
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        guard status == 0, let first = result else { throw ResolutionError(host: host) }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let sockaddr = entry.pointee.ai_addr {
                switch Int32(entry.pointee.ai_family) {
                case AF_INET:
                    sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var raw = pointer.pointee.sin_addr
                        let bytes = withUnsafeBytes(of: &raw) { Array($0) }
                        if let address = IPAddress(bytes: bytes) { addresses.append(address) }
                    }
                case AF_INET6:
                    sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var raw = pointer.pointee.sin6_addr
                        let bytes = withUnsafeBytes(of: &raw) { Array($0) }
                        if let address = IPAddress(bytes: bytes) { addresses.append(address) }
                    }
                default: break
                }
            }
            cursor = entry.pointee.ai_next
        }
        var seen = Set<IPAddress>()
        return addresses.filter { seen.insert($0).inserted }
    }

    struct ResolutionError: Error, CustomStringConvertible {
        var host: String
        var description: String { "host \(host) does not resolve" }
    }
}

/// A continuation resumed by whichever comes first: the answer or the cancellation.
final class OneAnswer<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var early: Result<Value, any Error>?
        var done = false
    }

    private let state = Mutex(State())

    func await(_ continuation: CheckedContinuation<Value, any Error>) {
        let early = state.withLock { state -> Result<Value, any Error>? in
            guard let early = state.early else {
                state.continuation = continuation
                return nil
            }
            return early
        }
        if let early { continuation.resume(with: early) }
    }

    var isGiven: Bool { state.withLock { $0.done } }

    func give(_ result: Result<Value, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<Value, any Error>? in
            guard !state.done else { return nil }
            state.done = true
            guard let continuation = state.continuation else {
                state.early = result
                return nil
            }
            state.continuation = nil
            return continuation
        }
        continuation?.resume(with: result)
    }
}
