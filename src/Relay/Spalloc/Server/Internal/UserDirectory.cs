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
/// <remarks>
/// The users are one immutable table that <see cref="Replace"/> swaps whole (a configuration reload); every check reads
/// the table once, so it sees the old users or the new ones, never a mix. What a table remembers of tokens belongs to
/// it: a check that was under way during the swap records its result in the old table, which nobody reads any more.
/// Whoever holds a user from an earlier check asks <see cref="Current"/> whether that user may still act.
/// </remarks>
internal sealed class UserDirectory(IReadOnlyList<SpallocUser> users, LoginThrottle throttle)
{
    /// <summary>Wrong tokens remembered (by SHA-256), oldest forgotten first.</summary>
    public const int RememberedFailures = 1024;

    private readonly LogLimiter _refusedLog = new(5, TimeSpan.FromSeconds(60));
    private readonly Lock _replaceGate = new();
    private Table _table = new(users, []);

    /// <summary>Checks of new wrong tokens made and refused so far.</summary>
    public LoginThrottle Throttle => throttle;

    /// <summary>Logins refused so far, and how many of them cost no PBKDF2 check.</summary>
    public SpallocLoginCounters Counters { get; } = new();

    /// <summary>Longest token considered; longer ones are refused without hashing.</summary>
    public const int MaxTokenLength = 4096;

    /// <summary>The users now, in configuration order.</summary>
    public IReadOnlyList<SpallocUser> Users => Volatile.Read(ref _table).Users;

    public SpallocUser? Find(string name) => Volatile.Read(ref _table).Find(name);

    /// <summary>
    /// The user as configured now, if <paramref name="user"/> (from an earlier check) may still act: the same name with
    /// the same token hash. Null when the user was removed or given another token since. Admin rights are today's.
    /// </summary>
    public SpallocUser? Current(SpallocUser user)
    {
        var now = Find(user.Name);
        return now is not null && (ReferenceEquals(now, user) || now.TokenHash.SameAs(user.TokenHash)) ? now : null;
    }

    /// <summary>Whether <paramref name="user"/> (from an earlier check) may still use a job of <paramref name="owner"/>: as <see cref="Current"/>, and the owner or an admin now.</summary>
    public bool MayUseJob(SpallocUser user, string owner) => Current(user) is { } now && (now.Admin || now.Name == owner);

    /// <summary>
    /// Makes <paramref name="next"/> the users, at once for every check that starts after it. Tokens known to work for
    /// a user whose entry is unchanged (same name and token hash) stay known; wrong tokens are forgotten, since one of
    /// them may be a new user's.
    /// </summary>
    public void Replace(IReadOnlyList<SpallocUser> next)
    {
        lock (_replaceGate)
        {
            var old = Volatile.Read(ref _table);
            var known = new Dictionary<string, SpallocUser>(StringComparer.Ordinal);
            var table = new Table(next, known);
            lock (old.Gate)
            {
                foreach (var (key, user) in old.Known)
                {
                    if (table.Find(user.Name) is { } kept && kept.TokenHash.SameAs(user.TokenHash))
                    {
                        known[key] = kept;
                    }
                }

                Volatile.Write(ref _table, table);
            }
        }
    }

    /// <summary>
    /// The user whose token this is, or null: no such token, a wrong token seen before, or (without checking) one
    /// from <paramref name="peer"/> while the throttle refuses (see <see cref="LoginThrottle"/>).
    /// </summary>
    public SpallocUser? Authenticate(string? token, IPAddress? peer) => Authenticate(Volatile.Read(ref _table), token, peer);

    /// <summary>Form login: the named user's token as the password.</summary>
    public SpallocUser? Authenticate(string? name, string? password, IPAddress? peer)
    {
        var table = Volatile.Read(ref _table);
        var user = name is null ? null : table.Find(name);
        if (user is null || password is null)
        {
            Counters.CountRefused();
            return null;
        }

        var owner = Authenticate(table, password, peer);
        if (owner is not null && owner != user)
        {
            Counters.CountRefused(); // someone's token, not this user's (a refusal by the token check counted itself)
        }

        return owner == user ? user : null;
    }

    private SpallocUser? Authenticate(Table table, string? token, IPAddress? peer)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            Counters.CountRefused();
            return null;
        }

        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        lock (table.Gate)
        {
            if (table.Known.TryGetValue(key, out var known))
            {
                return known;
            }

            if (table.Wrong.Contains(key))
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

        foreach (var user in table.Users)
        {
            if (user.TokenHash.Matches(token))
            {
                lock (table.Gate)
                {
                    table.Known[key] = user;
                }

                return user;
            }
        }

        throttle.Failed(peer);
        table.RememberWrong(key);
        Counters.CountRefused();
        return null;
    }

    /// <summary>One set of users (never changed) with what has been learnt about tokens against it (under <see cref="Gate"/>).</summary>
    private sealed class Table(IReadOnlyList<SpallocUser> users, Dictionary<string, SpallocUser> known)
    {
        private readonly Dictionary<string, SpallocUser> _byName = users.ToDictionary(u => u.Name, StringComparer.Ordinal);
        private readonly Queue<string> _wrongOrder = new();

        public Lock Gate { get; } = new();

        public IReadOnlyList<SpallocUser> Users { get; } = users;

        /// <summary>Tokens (by SHA-256) that matched a user of this table.</summary>
        public Dictionary<string, SpallocUser> Known { get; } = known;

        /// <summary>Tokens (by SHA-256) that matched nobody in this table, the last <see cref="RememberedFailures"/>.</summary>
        public HashSet<string> Wrong { get; } = new(StringComparer.Ordinal);

        public SpallocUser? Find(string name) => _byName.GetValueOrDefault(name);

        public void RememberWrong(string key)
        {
            lock (Gate)
            {
                if (!Wrong.Add(key))
                {
                    return;
                }

                _wrongOrder.Enqueue(key);
                if (_wrongOrder.Count > RememberedFailures)
                {
                    Wrong.Remove(_wrongOrder.Dequeue());
                }
            }
        }
    }
}
