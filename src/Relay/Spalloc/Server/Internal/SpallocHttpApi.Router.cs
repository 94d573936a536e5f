using System.Globalization;
using System.Net;
using System.Text;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Host;
using Microsoft.AspNetCore.Http;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// <c>DELETE jobs/{id}/router?POSITION=WORD…</c>, spinnman's <c>reset_routing()</c> through SpallocTransceiver: on every
/// chip of the job's boards, clear the multicast router table and the router diagnostic counters, and set the
/// diagnostic filters given (position 0..15 → filter word), as the Java service does; 202 when done. Each board's
/// chips go through that board, a board at a time.
/// </summary>
internal sealed partial class SpallocHttpApi
{
    private async Task ResetRoutingAsync(HttpContext context, SpallocUser user, Job job)
    {
        if (HeldBoards(job, out var problem) is not { } allocation)
        {
            Memory.RefusedOne();
            await Text(context, StatusCodes.Status409Conflict, problem!).ConfigureAwait(false);
            return;
        }

        if (ReadFilters(context.Request.Query, out problem) is not { } filters)
        {
            Memory.RefusedOne();
            await Text(context, StatusCodes.Status400BadRequest, problem!).ConfigureAwait(false);
            return;
        }

        if (!await TakeBoardSlotAsync(context).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            var unreachable = new List<(byte X, byte Y)>();
            foreach (var board in allocation.Boards)
            {
                using var window = new ScpWindow(new IPEndPoint(board.Address, _options.BoardScpPort));
                var reset = new ScpRoutingReset(window, allocation.ChipsOf(board), filters);
                try
                {
                    window.Run(reset);
                }
                catch (ScpClientException ex)
                {
                    await RoutingFailedAsync(context, user, job, BoardProblem(ex)).ConfigureAwait(false);
                    return;
                }

                unreachable.AddRange(reset.Unreachable);
            }

            Memory.RoutingReset();
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            if (unreachable.Count > 0)
            {
                var chips = new StringBuilder();
                for (var i = 0; i < Math.Min(unreachable.Count, 20); i++)
                {
                    chips.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? "" : ", ")}({unreachable[i].X}, {unreachable[i].Y})");
                }

                var more = unreachable.Count > 20 ? ", …" : "";
                var text = string.Create(CultureInfo.InvariantCulture, $"routing reset; {unreachable.Count} chip(s) their board could not reach were skipped: {chips}{more}");
                Log.Warn(ProxyHub.Component, $"job {job.Id} ({user.Name}): {text}");
                await Text(context, StatusCodes.Status202Accepted, text).ConfigureAwait(false);
            }
        }
        finally
        {
            _memoryTransfers.Release();
        }
    }

    /// <summary>The query as filters: every name a position 0..15 (once), every value a 32-bit word; null with the problem otherwise.</summary>
    private static Dictionary<int, uint>? ReadFilters(IQueryCollection query, out string? problem)
    {
        problem = null;
        var filters = new Dictionary<int, uint>();
        foreach (var (name, values) in query)
        {
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var position) || position >= ScpRoutingReset.FilterCount)
            {
                problem = $"'{Log.Escape(name, 40)}' is not a diagnostic filter position (0 to {ScpRoutingReset.FilterCount - 1})";
                return null;
            }

            if (values.Count != 1 || !long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var word) || word < int.MinValue || word > uint.MaxValue)
            {
                problem = $"filter {position} must be one 32-bit integer, not '{Log.Escape(values.ToString(), 40)}'";
                return null;
            }

            filters[position] = unchecked((uint)word);
        }

        return filters;
    }

    private async Task RoutingFailedAsync(HttpContext context, SpallocUser user, Job job, MemoryProblem problem)
    {
        Memory.RoutingFailed();
        _memoryWarnings.Write(LogLevel.Warning, ProxyHub.Component, $"job {job.Id} ({user.Name}): routing reset failed: {problem.Text}");

        await Text(context, problem.Status, problem.Text).ConfigureAwait(false);
    }
}
