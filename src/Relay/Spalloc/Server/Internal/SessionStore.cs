using System.Security.Cryptography;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>A login session: the JSESSIONID cookie value, who logged in (null before a form login completes) and its CSRF token.</summary>
internal sealed class Session(string id, SpallocUser? user, string csrf, DateTimeOffset now)
{
    public string Id { get; } = id;

    public SpallocUser? User { get; } = user;

    public string Csrf { get; } = csrf;

    public DateTimeOffset LastUsed { get; set; } = now;
}

/// <summary>
/// Login sessions by cookie value. Ids and CSRF tokens are 32 random bytes each. Idle sessions expire; beyond
/// <see cref="SpallocServerOptions.MaxSessions"/> the least recently used is dropped.
/// </summary>
internal sealed class SessionStore(TimeProvider time, TimeSpan idleTimeout)
{
    /// <summary>The cookie name spinnman (and Spring Security) use.</summary>
    public const string CookieName = "JSESSIONID";

    /// <summary>The CSRF header name announced in the service description (as the Java service and client use).</summary>
    public const string CsrfHeader = "X-CSRF-TOKEN";

    /// <summary>Most sessions without a user (login forms not yet submitted) held at once, so anonymous requests cannot push out logged-in users.</summary>
    public const int MaxAnonymous = 1_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly List<Session> _idle = [];
    private int _anonymous;
    private TimeSpan _idleTimeout = idleTimeout;

    /// <summary>How long an unused session lives; a reload may change it (sessions already idle that long go at the next check).</summary>
    public TimeSpan IdleTimeout
    {
        get
        {
            lock (_gate)
            {
                return _idleTimeout;
            }
        }

        set
        {
            lock (_gate)
            {
                _idleTimeout = value;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _sessions.Count;
            }
        }
    }

    public Session Create(SpallocUser? user)
    {
        var now = time.GetUtcNow();
        var session = new Session(NewSecret(), user, NewSecret(), now);
        lock (_gate)
        {
            if (user is null && _anonymous >= MaxAnonymous)
            {
                RemoveLocked(_sessions.Values.Where(s => s.User is null).MinBy(s => s.LastUsed)!);
            }
            else if (_sessions.Count >= SpallocServerOptions.MaxSessions)
            {
                RemoveLocked(_sessions.Values.MinBy(s => s.LastUsed)!);
            }

            _sessions[session.Id] = session;
            if (user is null)
            {
                _anonymous++;
            }
        }

        return session;
    }

    /// <summary>The live session with this id (its idle timer restarts), or null.</summary>
    public Session? Find(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 100)
        {
            return null;
        }

        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (!_sessions.TryGetValue(id, out var session))
            {
                return null;
            }

            if (now - session.LastUsed > _idleTimeout)
            {
                RemoveLocked(session);
                return null;
            }

            session.LastUsed = now;
            return session;
        }
    }

    public void Remove(Session session)
    {
        lock (_gate)
        {
            RemoveLocked(session);
        }
    }

    /// <summary>Forgets every session of a user for whom <paramref name="revoked"/> is true; returns how many.</summary>
    public int RemoveWhere(Func<SpallocUser, bool> revoked)
    {
        lock (_gate)
        {
            var gone = _sessions.Values.Where(s => s.User is { } user && revoked(user)).ToList();
            foreach (var session in gone)
            {
                RemoveLocked(session);
            }

            return gone.Count;
        }
    }

    /// <summary>Forgets idle sessions; returns how many.</summary>
    public int ExpireIdle()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            // Runs every second (housekeeping): a list kept for it, no query, so finding nothing allocates nothing.
            foreach (var session in _sessions.Values)
            {
                if (now - session.LastUsed > _idleTimeout)
                {
                    _idle.Add(session);
                }
            }

            foreach (var session in _idle)
            {
                RemoveLocked(session);
            }

            var count = _idle.Count;
            _idle.Clear();
            return count;
        }
    }

    private void RemoveLocked(Session session)
    {
        if (_sessions.Remove(session.Id) && session.User is null)
        {
            _anonymous--;
        }
    }

    /// <summary>Constant-time comparison of a presented CSRF token with the session's.</summary>
    public static bool CsrfMatches(Session session, string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(presented), System.Text.Encoding.UTF8.GetBytes(session.Csrf));

    private static string NewSecret() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
