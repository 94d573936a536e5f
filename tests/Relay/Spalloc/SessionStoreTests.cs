using FastSpinnRelay.Relay.Spalloc.Server.Internal;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

public class SessionStoreTests
{
    [Fact]
    public void Idle_sessions_expire_and_use_restarts_the_idle_timer()
    {
        var time = new ManualTime();
        var store = new SessionStore(time, TimeSpan.FromMinutes(10));
        var user = SpallocTestServer.KnownUsers[0];
        var used = store.Create(user);
        var idle = store.Create(user);
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.Same(used, store.Find(used.Id));
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(1, store.ExpireIdle());
        Assert.Null(store.Find(idle.Id));
        Assert.Same(used, store.Find(used.Id));
        Assert.Null(store.Find("no-such-session"));
        Assert.Null(store.Find(null));
    }

    [Fact]
    public void Anonymous_login_forms_cannot_push_out_logged_in_users()
    {
        var store = new SessionStore(new ManualTime(), TimeSpan.FromHours(1));
        var alice = store.Create(SpallocTestServer.KnownUsers[0]);
        for (var i = 0; i < SessionStore.MaxAnonymous * 3; i++)
        {
            store.Create(null);
        }

        Assert.Equal(SessionStore.MaxAnonymous + 1, store.Count);
        Assert.Same(alice, store.Find(alice.Id));
    }

    [Fact]
    public void Csrf_tokens_are_compared_exactly()
    {
        var store = new SessionStore(new ManualTime(), TimeSpan.FromHours(1));
        var session = store.Create(null);
        Assert.True(SessionStore.CsrfMatches(session, session.Csrf));
        Assert.False(SessionStore.CsrfMatches(session, session.Csrf + "x"));
        Assert.False(SessionStore.CsrfMatches(session, null));
        Assert.NotEqual(session.Id, session.Csrf);
    }
}
