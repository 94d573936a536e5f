using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FastSpinnRelay.Relay.Spalloc;

/// <summary>
/// The stored form of a user's bearer token: <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (salt and hash in base64;
/// 16-byte salt, 32-byte PBKDF2-HMAC-SHA256 output). The configuration file holds only this; the token itself is
/// what the user sends (<c>Authorization: Bearer TOKEN</c>). <c>relay spalloc hash-token</c> prints it.
/// </summary>
public static class TokenHash
{
    /// <summary>The scheme name at the front of every stored hash.</summary>
    public const string Scheme = "pbkdf2-sha256";

    /// <summary>Iterations used by <see cref="Create"/>: 100,000 (about 30 ms per check on the 2-core VM).</summary>
    public const int DefaultIterations = 100_000;

    /// <summary>Fewest iterations <see cref="TryParse"/> accepts (a weaker stored hash is a configuration problem).</summary>
    public const int MinIterations = 10_000;

    /// <summary>Most iterations accepted, so a hostile configuration cannot make each login take minutes.</summary>
    public const int MaxIterations = 10_000_000;

    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>Hashes <paramref name="token"/> with a fresh random salt.</summary>
    public static string Create(string token, int iterations = DefaultIterations)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, MinIterations);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(token), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(
            CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>A new random token: 32 bytes from the system RNG, base64url without padding (43 characters).</summary>
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>Checks the stored form; <paramref name="problem"/> says what is wrong with it.</summary>
    public static bool TryParse(string? stored, [NotNullWhen(true)] out Parsed? parsed, [NotNullWhen(false)] out string? problem)
    {
        parsed = null;
        var parts = (stored ?? "").Split('$');
        if (parts.Length != 4 || parts[0] != Scheme)
        {
            problem = $"is not of the form {Scheme}$ITERATIONS$SALT$HASH (make one with 'relay spalloc hash-token')";
            return false;
        }

        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || iterations < MinIterations || iterations > MaxIterations)
        {
            problem = $"has iteration count '{parts[1]}', must be {MinIterations}..{MaxIterations}";
            return false;
        }

        var salt = new byte[SaltBytes];
        var hash = new byte[HashBytes];
        if (!Convert.TryFromBase64String(parts[2], salt, out var saltLength) || saltLength != SaltBytes
            || !Convert.TryFromBase64String(parts[3], hash, out var hashLength) || hashLength != HashBytes)
        {
            problem = $"must have a base64 {SaltBytes}-byte salt and {HashBytes}-byte hash";
            return false;
        }

        parsed = new Parsed(iterations, salt, hash);
        problem = null;
        return true;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A parsed stored hash; <see cref="Matches"/> runs PBKDF2 and compares in constant time.</summary>
    public sealed class Parsed
    {
        private readonly byte[] _salt;
        private readonly byte[] _hash;

        internal Parsed(int iterations, byte[] salt, byte[] hash)
        {
            Iterations = iterations;
            _salt = salt;
            _hash = hash;
        }

        public int Iterations { get; }

        /// <summary>True when <paramref name="other"/> is the same stored hash (same iterations, salt and hash): the same token works for both.</summary>
        public bool SameAs(Parsed other) =>
            ReferenceEquals(this, other) || (Iterations == other.Iterations && _salt.AsSpan().SequenceEqual(other._salt) && _hash.AsSpan().SequenceEqual(other._hash));

        /// <summary>True when <paramref name="token"/> hashes to the stored value.</summary>
        public bool Matches(ReadOnlySpan<char> token)
        {
            if (token.IsEmpty)
            {
                return false;
            }

            Span<byte> actual = stackalloc byte[HashBytes];
            var utf8 = Encoding.UTF8.GetBytes(token.ToArray());
            Rfc2898DeriveBytes.Pbkdf2(utf8, _salt, actual, Iterations, HashAlgorithmName.SHA256);
            return CryptographicOperations.FixedTimeEquals(actual, _hash);
        }
    }
}
