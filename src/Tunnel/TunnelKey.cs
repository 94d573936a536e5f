using System.Security.Cryptography;

namespace FastSpinnRelay.Tunnel;

/// <summary>
/// The pre-shared key both ends of a tunnel hold: 32 random bytes, written as 64 hex digits (what
/// <c>relay tunnel keygen</c> prints). It is never sent: the handshake proves it with HMAC-SHA256 over fresh nonces.
/// <see cref="ToString"/> is redacted so the key does not leak into logs.
/// </summary>
public sealed class TunnelKey
{
    /// <summary>Key length in bytes.</summary>
    public const int Length = 32;

    private readonly byte[] _bytes;

    private TunnelKey(byte[] bytes) => _bytes = bytes;

    /// <summary>The key bytes (for the HMAC; do not log them).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>True when <paramref name="other"/> holds the same bytes (compared in constant time); false for null.</summary>
    public bool SameAs(TunnelKey? other) => other is not null && CryptographicOperations.FixedTimeEquals(_bytes, other._bytes);

    /// <summary>A new key from the system's cryptographic random number generator.</summary>
    public static TunnelKey Generate() => new(RandomNumberGenerator.GetBytes(Length));

    /// <summary>Wraps 32 key bytes (copied).</summary>
    /// <exception cref="ArgumentException">Not 32 bytes.</exception>
    public static TunnelKey FromBytes(ReadOnlySpan<byte> bytes) =>
        bytes.Length == Length ? new TunnelKey(bytes.ToArray()) : throw new ArgumentException("A tunnel key is 32 bytes.", nameof(bytes));

    /// <summary>
    /// Parses the text form: 64 hex digits, surrounding white space and a trailing newline ignored (a key file's
    /// content can be passed as is). False on anything else.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, out TunnelKey? key)
    {
        key = null;
        text = text.Trim();
        if (text.Length != Length * 2)
        {
            return false;
        }

        var bytes = new byte[Length];
        if (Convert.FromHexString(text, bytes, out _, out int written) != System.Buffers.OperationStatus.Done || written != Length)
        {
            return false;
        }

        key = new TunnelKey(bytes);
        return true;
    }

    /// <summary>The text form: 64 lower-case hex digits. Treat it as a secret.</summary>
    public string Format() => Convert.ToHexStringLower(_bytes);

    /// <summary>A short, non-secret fingerprint (first 8 hex digits of SHA-256 of the key) to tell keys apart in logs.</summary>
    public string Fingerprint() => Convert.ToHexStringLower(SHA256.HashData(_bytes).AsSpan(0, 4));

    /// <summary>Redacted: never the key itself.</summary>
    public override string ToString() => $"TunnelKey(sha256:{Fingerprint()}…)";
}
