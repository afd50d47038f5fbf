import Foundation

/// The rules for a webhook's `callback_url`: an absolute http(s) URL with a host.
public enum CallbackURL {
    public static let maxLength = 2048

    /// The message for a URL Herald refuses, or nil when it is acceptable.
    public static func problem(with text: String) -> String? {
        if text.isEmpty { return "can't be blank" }
        if text.count > maxLength { return "is too long (at most \(maxLength) characters)" }
        if text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            return "must not contain spaces or control characters"
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            return "must be an absolute http or https URL"
        }
        guard scheme == "http" || scheme == "https" else { return "must use http or https" }
        guard let host = components.host, !host.isEmpty else { return "must name a host" }
        if components.fragment != nil { return "must not have a fragment" }
        if let problem = literalProblem(host) { return problem }
        if host.hasPrefix("[") { return nil }
        if writtenHost(text).contains("%") { return "must not percent-encode its host" }
        // The name as DNS will see it: internationalised names in punycode, other Unicode
        // spellings (fullwidth digits, circled letters) mapped to what they stand for.
        guard let ascii = components.encodedHost else { return nameRule }
        return nameProblem(ascii)
    }

    static let nameRule = "host may contain only letters, digits, '-' and '.'"

    /// A host name's ASCII form takes letters, digits, `-` and `.` only (internationalised names
    /// are letters: their ASCII form is punycode): none of the characters URL parsers read
    /// differently (`_`, `!`, `$`…); and, once mapped, it must not spell an address otherwise
    /// than canonically (fullwidth `１２７.１`).
    static func nameProblem(_ ascii: String) -> String? {
        guard
            ascii.utf8.allSatisfy({ byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."):
                    true
                default: false
                }
            })
        else { return nameRule }
        return literalProblem(ascii)
    }

    /// What read models show of a URL: the password in its credentials (or, without one, the user
    /// name, often a token) replaced by `****`. Deliveries go to the URL itself.
    public static func masked(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.percentEncodedUser != nil else { return text }
        if components.percentEncodedPassword != nil {
            components.percentEncodedPassword = mask
        } else {
            components.percentEncodedUser = mask
        }
        return components.string ?? text
    }

    /// The URL's scheme, host and port, and nothing that may hold a credential (user, path,
    /// query): what events about a webhook name it by, since they are stored in clear.
    public static func origin(_ text: String) -> String {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            let host = components.percentEncodedHost
        else { return "" }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    /// What ``masked(_:)`` puts in place of a secret.
    public static let mask = "****"

    /// The URL an update means: `given`, or `current` when `given` is its masked form sent back.
    public static func unmasked(_ given: String, current: String) -> String {
        given != current && given == masked(current) ? current : given
    }

    /// Why an update may not set `given`: it carries the mask in place of credentials but is not
    /// `current`'s masked form sent back whole. Keeping the stored credentials under a new path
    /// would let whoever may change a webhook read them (point it at a page that echoes what it
    /// is sent, and test it); storing the mask itself would break the webhook. The caller writes
    /// the credentials again instead.
    public static func maskedCredentialsProblem(_ given: String, current: String) -> String? {
        guard given != current, given != masked(current), let parts = URLComponents(string: given),
            parts.percentEncodedUser == mask || parts.percentEncodedPassword == mask
        else { return nil }
        return "carries masked credentials (\(mask)): write the credentials again to change the URL"
    }

    /// The URL as Herald stores and calls it: an internationalised host in its ASCII (punycode)
    /// form, so that the name checked, pinned and shown is the one DNS knows.
    public static func normalized(_ text: String) -> String {
        guard var components = URLComponents(string: text), let ascii = components.encodedHost,
            ascii != components.percentEncodedHost
        else { return text }
        components.encodedHost = ascii
        return components.string ?? text
    }

    /// The host and port as the URL spells them (Foundation percent-encodes a non-ASCII host
    /// itself, so its encoded form cannot tell what the sender wrote).
    static func writtenHost(_ text: String) -> Substring {
        guard let start = text.range(of: "://")?.upperBound else { return "" }
        let authority = text[start...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
    }

    /// Refuses an address written in any but its canonical form (`1.2.3.4.`, `+1.2.3.4`,
    /// `2130706433`, `0x7f.1`) and IPv6 zone ids: such spellings mean different things to
    /// different parsers.
    static func literalProblem(_ host: String) -> String? {
        var bare = host
        if bare.hasPrefix("["), bare.hasSuffix("]") { bare = String(bare.dropFirst().dropLast()) }
        if bare.contains("%") { return "must not name an IPv6 zone" }
        if bare.contains(":") { return IPAddress(host: bare) == nil ? "must name a valid IPv6 address" : nil }
        // A top-level domain is never a number (decimal, octal, 0x-hex, signed): such a host is an
        // address. Names whose labels merely start with a digit (`1password-bridge`) are names.
        guard let last = bare.split(separator: ".").last, Self.isNumber(last) else { return nil }
        guard let address = IPAddress(host: bare) else { return "must name a valid IPv4 address" }
        if address.description != bare {
            return "names an address in a non-canonical form; write it as \(address)"
        }
        return nil
    }

    static func isNumber(_ label: Substring) -> Bool {
        var digits = label
        if let sign = digits.first, sign == "+" || sign == "-" { digits = digits.dropFirst() }
        if digits.lowercased().hasPrefix("0x") { return digits.dropFirst(2).allSatisfy(\.isHexDigit) }
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
