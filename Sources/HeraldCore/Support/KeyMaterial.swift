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

    /// The fewest characters and distinct characters an operator's own admin key must have.
    public static let seededKeyMinimum = (length: 32, distinct: 10)

    /// Why `key` may not seed a platform admin key (`HERALD_ADMIN_KEY`), or nil when it may: it
    /// must be printable ASCII without spaces (it travels in a header), at least 32 characters
    /// long and of some variety (at least 10 distinct characters), so `changeme` or thirty-two
    /// `a`s cannot open every tenant's data.
    public static func seededKeyProblem(_ key: String) -> String? {
        guard key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return "takes printable ASCII characters only, without spaces"
        }
        let lower = key.lowercased()
        if ["changeme", "change-me", "change_me"].contains(where: lower.contains) {
            return "is a placeholder (it says change me): use a random value, e.g. `openssl rand -base64 32`"
        }
        guard key.utf8.count >= seededKeyMinimum.length else {
            return "is \(key.utf8.count) characters long; it needs at least \(seededKeyMinimum.length)"
        }
        let distinct = Set(key.utf8).count
        guard distinct >= seededKeyMinimum.distinct else {
            return "has \(distinct) distinct characters; it needs at least \(seededKeyMinimum.distinct) "
                + "(use a random value, e.g. `openssl rand -base64 32`)"
        }
        return nil
    }

    /// A new webhook signing secret: `whsec_` + base64 of 32 random bytes.
    public static func newSigningSecret() -> String {
        "whsec_" + Data(randomBytes(32)).base64EncodedString()
    }

    /// A random token for a portal form or cookie: 32 random bytes, base64url.
    public static func newPortalToken() -> String {
        base64URL(randomBytes(32))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
