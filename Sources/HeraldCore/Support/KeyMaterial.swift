import Crypto
import Foundation

/// Makes and checks the secrets Herald hands out: API keys and webhook signing secrets.
public enum KeyMaterial {
    /// API keys read `hrld_` + 43 base64url characters (32 random bytes).
    public static let apiKeyPrefix = "hrld_"

    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// A new API key and what is stored of it.
    public static func newAPIKey() -> (key: String, prefix: String, hash: String) {
        let key = apiKeyPrefix + base64URL(randomBytes(32))
        return (key, String(key.prefix(apiKeyPrefix.count + 8)), hash(apiKey: key))
    }

    /// Hex SHA-256 of an API key.
    public static func hash(apiKey: String) -> String {
        Hex.string(SHA256.hash(data: Data(apiKey.utf8)))
    }

    /// Compares two strings in time that depends on their length only.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// A new webhook signing secret: `whsec_` + base64 of 32 random bytes.
    public static func newSigningSecret() -> String {
        "whsec_" + Data(randomBytes(32)).base64EncodedString()
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
