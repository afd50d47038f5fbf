import Foundation
import HeraldCore
import NIOSSL
import PostgresNIO

/// How the connection to PostgreSQL is secured, from the URL's `sslmode` and `sslrootcert`
/// (libpq's names and meanings):
/// - `disable`: plain;
/// - `prefer`: TLS when the server offers it, the certificate unchecked;
/// - `require`: TLS or no connection, the certificate unchecked (checked against `sslrootcert`
///   when one is given, as libpq does);
/// - `verify-ca`: TLS, the certificate signed by `sslrootcert` (else the system's roots);
/// - `verify-full`: that, and issued for the host named in the URL.
/// Without `sslmode`: `prefer` for a loopback host, `require` for any other, since a password
/// and every tenant's data cross that network.
public struct PostgresTLS: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var mode: Mode
    public var rootCertificate: String?

    public init(url components: URLComponents, host: String) throws {
        let items = components.queryItems ?? []
        rootCertificate = items.last { $0.name == "sslrootcert" }?.value
        if let given = items.last(where: { $0.name == "sslmode" })?.value {
            guard let mode = Mode(rawValue: given) else {
                var error = PostgresURLError(url: components.string ?? "")
                error.problem =
                    "sslmode '\(given)' is not one of \(Mode.allCases.map(\.rawValue).joined(separator: ", "))"
                throw error
            }
            self.mode = mode
        } else {
            mode = Self.isLoopback(host) ? .prefer : .require
        }
    }

    /// `localhost` and the loopback addresses.
    static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        var bare = host
        if bare.hasPrefix("["), bare.hasSuffix("]") { bare = String(bare.dropFirst().dropLast()) }
        guard let address = IPAddress(host: bare) else { return false }
        return CIDR("127.0.0.0/8")!.contains(address) || CIDR("::1/128")!.contains(address)
    }

    /// The TLS settings of the mode: nil for `disable`.
    var tls: (settings: TLSConfiguration, required: Bool)? {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let rootCertificate { tls.trustRoots = .file(rootCertificate) }
        switch mode {
        case .disable:
            return nil
        case .prefer:
            tls.certificateVerification = .none
            return (tls, false)
        case .require:
            tls.certificateVerification = rootCertificate == nil ? .none : .noHostnameVerification
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
        case .verifyFull:
            tls.certificateVerification = .fullVerification
        }
        return (tls, true)
    }

    /// What PostgresNIO's pool connects with.
    public var configuration: PostgresClient.Configuration.TLS {
        guard let tls else { return .disable }
        return tls.required ? .require(tls.settings) : .prefer(tls.settings)
    }

    /// What a single PostgresNIO connection connects with.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration.TLS {
        guard let tls else { return .disable }
        let context = try NIOSSLContext(configuration: tls.settings)
        return tls.required ? .require(context) : .prefer(context)
    }
}
