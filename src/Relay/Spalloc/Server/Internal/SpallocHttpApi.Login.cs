using System.Net;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

internal sealed partial class SpallocHttpApi
{
    /// <summary>
    /// <c>GET system/login.html</c>. With <c>Authorization: Bearer TOKEN</c>: a session for that user (cookie
    /// JSESSIONID). Without: the login form, whose hidden <c>_csrf</c> field and temporary session the form login
    /// (<see cref="PerformLoginAsync"/>) needs.
    /// </summary>
    private async Task LoginPageAsync(HttpContext context)
    {
        if (context.Request.Headers.Authorization.Count > 0)
        {
            if (BearerUser(context) is not { } user)
            {
                await Text(context, StatusCodes.Status401Unauthorized, "invalid bearer token").ConfigureAwait(false);
                return;
            }

            SetSessionCookie(context, _sessions.Create(user));
            await Text(context, StatusCodes.Status200OK, $"logged in as {user.Name}").ConfigureAwait(false);
            return;
        }

        var temporary = _sessions.Create(null);
        SetSessionCookie(context, temporary);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/html; charset=utf-8";
        var action = WebUtility.HtmlEncode(_basePath + "/system/perform_login");
        await context.Response.WriteAsync(
            "<!DOCTYPE html>\n<html><head><title>relay spalloc: log in</title></head><body>\n" +
            $"<form method=\"POST\" action=\"{action}\">\n" +
            $"<input type=\"hidden\" name=\"_csrf\" value=\"{temporary.Csrf}\" />\n" +
            "<label>User <input name=\"username\"></label> <label>Token <input type=\"password\" name=\"password\"></label>\n" +
            "<input type=\"submit\" name=\"submit\" value=\"submit\">\n</form>\n</body></html>\n").ConfigureAwait(false);
    }

    /// <summary>
    /// <c>POST system/perform_login</c> (form: <c>_csrf</c>, <c>username</c>, <c>password</c>; the password is the user's
    /// token): a new session and a redirect, or 401 with a JSON message, as spinnman's password login expects.
    /// </summary>
    private async Task PerformLoginAsync(HttpContext context)
    {
        var temporary = _sessions.Find(context.Request.Cookies[SessionStore.CookieName]);
        if (!context.Request.HasFormContentType || context.Request.ContentLength is > MaxBodyBytes)
        {
            await LoginFailed(context, "expected a login form").ConfigureAwait(false);
            return;
        }

        LimitBody(context);
        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException || (ex is IOException && ex is not BadHttpRequestException))
        {
            // The form reader's own refusals (more than 1,024 fields, a multipart body without a boundary or cut short):
            // unhandled they were a 500 with no reason and an error log with a stack trace. (Too long stays Kestrel's 413.)
            await Text(context, StatusCodes.Status400BadRequest, $"not a login form: {Log.Escape(ex.Message, 120)}").ConfigureAwait(false);
            return;
        }

        if (temporary is null || !SessionStore.CsrfMatches(temporary, form["_csrf"].ToString()))
        {
            await LoginFailed(context, "missing or stale login form: GET system/login.html first").ConfigureAwait(false);
            return;
        }

        _sessions.Remove(temporary);
        if (_users.Authenticate(form["username"].ToString(), form["password"].ToString(), context.Connection.RemoteIpAddress) is not { } user)
        {
            await LoginFailed(context, "bad credentials").ConfigureAwait(false);
            return;
        }

        SetSessionCookie(context, _sessions.Create(user));
        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = _basePath + "/srv/spalloc/";
    }

    /// <summary><c>GET srv/spalloc/</c>: version, where jobs and machines are, and the session's CSRF header and token.</summary>
    private async Task ServiceAsync(HttpContext context)
    {
        var (user, session) = Caller(context);
        if (user is null)
        {
            await RequireUser(context, mutating: false).ConfigureAwait(false);
            return;
        }

        if (session is null)
        {
            session = _sessions.Create(user);
            SetSessionCookie(context, session);
        }

        var version = Version.TryParse(RelayCommandLine.Version, out var v) ? v : new Version(0, 0, 0);
        var root = BaseUrl(context) + "/srv/spalloc";
        await Json(
            context,
            StatusCodes.Status200OK,
            new ServiceDescriptionJson(
                new VersionJson(version.Major, version.Minor, Math.Max(0, version.Build)),
                root + "/jobs",
                root + "/machines",
                SessionStore.CsrfHeader,
                session.Csrf),
            ApiJsonContext.Default.ServiceDescriptionJson).ConfigureAwait(false);
    }

    private async Task MachinesAsync(HttpContext context)
    {
        if (await RequireUser(context, mutating: false).ConfigureAwait(false) is null)
        {
            return;
        }

        var uri = BaseUrl(context) + "/srv/spalloc/machines/" + Uri.EscapeDataString(_machine.Name);
        var brief = new MachineBriefJson(_machine.Name, _machine.Tags, uri, _machine.Width, _machine.Height, [], []);
        await Json(context, StatusCodes.Status200OK, new MachinesJson([brief]), ApiJsonContext.Default.MachinesJson).ConfigureAwait(false);
    }

    private async Task MachineAsync(HttpContext context, string name)
    {
        if (await RequireUser(context, mutating: false).ConfigureAwait(false) is null)
        {
            return;
        }

        if (Uri.UnescapeDataString(name) != _machine.Name)
        {
            await Text(context, StatusCodes.Status404NotFound, $"no machine named {Diagnostics.Log.Escape(name, 64)}").ConfigureAwait(false);
            return;
        }

        await Json(
            context,
            StatusCodes.Status200OK,
            new MachineJson(_machine.Name, _machine.Tags, _machine.Width, _machine.Height, [], []),
            ApiJsonContext.Default.MachineJson).ConfigureAwait(false);
    }

    private void SetSessionCookie(HttpContext context, Session session) =>
        context.Response.Cookies.Append(SessionStore.CookieName, session.Id, new CookieOptions
        {
            Path = _basePath.Length == 0 ? "/" : _basePath,
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
        });

    private static Task LoginFailed(HttpContext context, string message) =>
        Json(context, StatusCodes.Status401Unauthorized, new MessageJson(message), ApiJsonContext.Default.MessageJson);
}
