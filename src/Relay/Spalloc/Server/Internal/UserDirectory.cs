using System.Net;
using System.Security.Cryptography;
using System.Text;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// Checks bearer tokens (and form-login passwords, which are the same secret) against the configured users' stored
/// PBKDF2 hashes. A token that matched once is remembered by its SHA-256, so later logins with it cost one hash,
/// not PBKDF2; so is a token that matched nobody (the last <see cref="RememberedFailures"/>), so a client retrying
/// with a wrong token costs one hash too. The PBKDF2 checks of new wrong tokens are bounded by a
/// <see cref="LoginThrottle"/>. Nothing else about tokens is kept; what was refused, and how, is counted in
/// <see cref="Counters"/>.
/// </summary>
internal sealed class UserDirectory(IReadOnlyList<SpallocUser> users, LoginThrottle throttle)
{
    /// <summary>Wrong tokens remembered (by SHA-256), oldest forgotten first.</summary>
    public const int RememberedFailures = 1024;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, SpallocUser> _known = new(StringComparer.Ordinal);
    private readonly HashSet<string> _wrong = new(StringComparer.Ordinal);
    private readonly Queue<string> _wrongOrder = new();
    private readonly LogLimiter _refusedLog = new(5, TimeSpan.FromSeconds(60));

    /// <summary>Checks of new wrong tokens made and refused so far.</summary>
    public LoginThrottle Throttle => throttle;

    /// <summary>Logins refused so far, and how many of them cost no PBKDF2 check.</summary>
    public SpallocLoginCounters Counters { get; } = new();

    /// <summary>Longest token considered; longer ones are refused without hashing.</summary>
    public const int MaxTokenLength = 4096;

    public SpallocUser? Find(string name) => users.FirstOrDefault(u => u.Name == name);

    /// <summary>
    /// The user whose token this is, or null: no such token, a wrong token seen before, or (without checking) one
    /// from <paramref name="peer"/> while the throttle refuses (see <see cref="LoginThrottle"/>).
    /// </summary>
    public SpallocUser? Authenticate(string? token, IPAddress? peer)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            Counters.CountRefused();
            return null;
        }

        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        lock (_gate)
        {
            if (_known.TryGetValue(key, out var known))
            {
                return known;
            }

            if (_wrong.Contains(key))
            {
                Counters.CountRememberedWrong();
                return null;
            }
        }

        if (!throttle.TryAllow(peer))
        {
            Counters.CountThrottled();
            _refusedLog.Write(LogLevel.Warning, ProxyHub.Component, (peer, Counters), static s =>
                $"refused a login from {s.peer?.ToString() ?? "an unknown address"} without checking it: too many wrong tokens in the last {LoginThrottle.Window.TotalSeconds:0} s; {s.Counters}");
            return null;
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

        throttle.Failed(peer);
        RememberWrong(key);
        Counters.CountRefused();
        return null;
    }

    /// <summary>Form login: the named user's token as the password.</summary>
    public SpallocUser? Authenticate(string? name, string? password, IPAddress? peer)
    {
        var user = name is null ? null : Find(name);
        if (user is null || password is null)
        {
            Counters.CountRefused();
            return null;
        }

        var owner = Authenticate(password, peer);
        if (owner is not null && owner != user)
        {
            Counters.CountRefused(); // someone's token, not this user's (a refusal by the token check counted itself)
        }

        return owner == user ? user : null;
    }

    private void RememberWrong(string key)
    {
        lock (_gate)
        {
            if (!_wrong.Add(key))
            {
                return;
            }

            _wrongOrder.Enqueue(key);
            if (_wrongOrder.Count > RememberedFailures)
            {
                _wrong.Remove(_wrongOrder.Dequeue());
            }
        }
    }
}
