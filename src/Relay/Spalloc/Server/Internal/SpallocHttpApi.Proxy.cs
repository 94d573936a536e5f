using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

internal sealed partial class SpallocHttpApi
{
    /// <summary>The close reason of a websocket whose user lost access to its job in a reload.</summary>
    public const string AccessRevokedDescription = "access revoked: the configuration was reloaded";

    /// <summary>
    /// <c>GET proxy/{id}</c> with a websocket upgrade. Refused at the handshake (no upgrade) unless the session (cookie,
    /// or a bearer token) belongs to the job's owner or an admin and the job holds boards; then served by a
    /// <see cref="ProxySession"/> until it ends.
    /// </summary>
    private async Task ProxyAsync(HttpContext context, string idText)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Text(context, StatusCodes.Status400BadRequest, "this is the proxy websocket: a websocket upgrade is required").ConfigureAwait(false);
            return;
        }

        var (user, _) = Caller(context);
        if (user is null)
        {
            await Text(context, StatusCodes.Status401Unauthorized, "the proxy websocket needs a logged-in session (JSESSIONID cookie)").ConfigureAwait(false);
            return;
        }

        if (FindJob(idText) is not { } job)
        {
            await Text(context, StatusCodes.Status404NotFound, $"no job {Diagnostics.Log.Escape(idText, 20)}").ConfigureAwait(false);
            return;
        }

        if (!user.Admin && job.Owner != user.Name)
        {
            await Text(context, StatusCodes.Status403Forbidden, $"job {job.Id} belongs to another user").ConfigureAwait(false);
            return;
        }

        var snapshot = _jobs.Snapshot(job);
        if (snapshot.Allocation is not { } allocation)
        {
            await Text(context, StatusCodes.Status409Conflict, $"job {job.Id} holds no boards (it is {snapshot.State.ToString().ToUpperInvariant()})").ConfigureAwait(false);
            return;
        }

        using var webSocket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = _options.PingInterval,
            DangerousEnableCompression = false,
        }).ConfigureAwait(false);
        var session = new ProxySession(webSocket, _hub, job.Id, user.Name, allocation, Peer(context), GatheringUpgrade.Find(context))
        {
            Access = new ProxyAccess(user, job.Owner),
        };
        var run = session.RunAsync(context.RequestAborted);

        // The session is registered now: if the job died or a reload took the user's access away meanwhile, the
        // closing of websockets that followed may have missed it.
        if (_jobs.Snapshot(job).State == JobState.Destroyed)
        {
            session.RequestClose(ProxyShutdownReason.JobDestroyed, WebSocketCloseStatus.NormalClosure, $"job {job.Id} destroyed");
        }
        else if (!_users.MayUseJob(user, job.Owner))
        {
            session.RequestClose(ProxyShutdownReason.AccessRevoked, WebSocketCloseStatus.PolicyViolation, AccessRevokedDescription);
        }

        await run.ConfigureAwait(false);
    }
}
