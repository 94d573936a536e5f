using FastSpinnRelay.Relay.Spalloc.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// Kestrel's upgrade feature, wrapped so the websocket middleware builds its websocket over a
/// <see cref="GatheringStream"/>: installed for every upgradable request before <c>UseWebSockets</c> (which takes the
/// feature when the request passes it), then read back by the proxy endpoint to hand the stream to its session.
/// </summary>
internal sealed class GatheringUpgrade(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
{
    /// <summary>The upgraded connection, once <see cref="UpgradeAsync"/> ran; null before.</summary>
    public GatheringStream? Stream { get; private set; }

    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    public async Task<Stream> UpgradeAsync()
    {
        Stream = new GatheringStream(await inner.UpgradeAsync().ConfigureAwait(false));
        return Stream;
    }

    /// <summary>Wraps the request's upgrade feature when it has an upgradable one (middleware: before UseWebSockets).</summary>
    public static void Install(HttpContext context)
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            context.Features.Set<IHttpUpgradeFeature>(new GatheringUpgrade(upgrade));
        }
    }

    /// <summary>The gathering stream under the request's websocket, or null (no upgrade, or not installed).</summary>
    public static GatheringStream? Find(HttpContext context) => (context.Features.Get<IHttpUpgradeFeature>() as GatheringUpgrade)?.Stream;
}
