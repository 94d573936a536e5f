using System.Security.Cryptography;
using System.Text;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// Checks bearer tokens (and form-login passwords, which are the same secret) against the configured users' stored
/// PBKDF2 hashes. A token that matched once is remembered by its SHA-256, so later logins with it cost one hash,
/// not PBKDF2; nothing else about tokens is kept.
/// </summary>
internal sealed class UserDirectory(IReadOnlyList<SpallocUser> users)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SpallocUser> _known = new(StringComparer.Ordinal);

    /// <summary>Longest token considered; longer ones are refused without hashing.</summary>
    public const int MaxTokenLength = 4096;

    public SpallocUser? Find(string name) => users.FirstOrDefault(u => u.Name == name);

    /// <summary>The user whose token this is, or null.</summary>
    public SpallocUser? Authenticate(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return null;
        }

        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        lock (_gate)
        {
            if (_known.TryGetValue(key, out var known))
            {
                return known;
            }
        }

        foreach (var user in users)
        {
            if (user.TokenHash.Matches(token))
            {
                lock (_gate)
                {
                    _known[key] = user;
                }

                return user;
            }
        }

        return null;
    }

    /// <summary>Form login: the named user's token as the password.</summary>
    public SpallocUser? Authenticate(string? name, string? password)
    {
        var user = name is null ? null : Find(name);
        return user is not null && password is not null && Authenticate(password) == user ? user : null;
    }
}
