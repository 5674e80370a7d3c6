{{%AUTOESCAPE context="HTML"}}<!DOCTYPE html>
<html lang="{{LANG}}" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>{{SUBJECT}}</title>
</head>
<body style="margin:0;padding:0;background-color:#f3f4f6;">
<div style="display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;mso-hide:all;font-size:1px;line-height:1px;">{{PREHEADER}}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;background-color:#f3f4f6;">
<tr>
<td align="center" style="padding:16px 8px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:#ffffff;border-collapse:collapse;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1f2937;">
<tr>
<td style="padding:24px 24px 8px 24px;background-color:#1d4e89;color:#ffffff;">
<p style="margin:0;font-size:13px;color:#dbe7f6;">{{ISSUE_LABEL}}</p>
<h1 style="margin:4px 0 0 0;font-size:24px;line-height:1.25;color:#ffffff;">{{TITLE}}</h1>
</td>
</tr>
{{#EDITORIAL}}<tr>
<td style="padding:16px 24px 0 24px;">{{EDITORIAL_HTML:none}}</td>
</tr>
{{/EDITORIAL}}{{#SECTION}}<tr>
<td style="padding:16px 24px 0 24px;">
<h2 style="margin:8px 0 8px 0;font-size:20px;line-height:1.3;color:#1d4e89;border-bottom:2px solid #1d4e89;padding-bottom:4px;">{{HEADING}}</h2>
{{#ITEM}}<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;margin:0 0 16px 0;border-collapse:collapse;">
<tr>
{{#THUMB}}<td width="120" valign="top" style="width:120px;padding:4px 12px 0 0;"><a href="{{URL}}"><img src="{{IMAGE_SRC:none}}" alt="{{IMAGE_ALT}}" width="120" style="display:block;width:120px;max-width:100%;height:auto;border:0;"></a></td>
{{/THUMB}}<td valign="top" style="padding:0;">
<h3 style="margin:0 0 4px 0;font-size:17px;line-height:1.3;"><a href="{{URL}}" style="color:#1d4e89;text-decoration:underline;">{{ITEM_TITLE_HTML:none}}</a></h3>
{{#WHEN}}<p style="margin:0 0 4px 0;font-size:14px;color:#4b5563;">{{DATE_LABEL}}{{#WHERE}} · {{LOCATION}}{{/WHERE}}</p>
{{/WHEN}}{{#DESCRIPTION}}<div style="margin:0;font-size:15px;">{{DESCRIPTION_HTML:none}}</div>
{{/DESCRIPTION}}{{#CALENDAR}}<p style="margin:4px 0 0 0;font-size:14px;"><a href="{{CALENDAR_URL}}" style="color:#1d4e89;text-decoration:underline;">{{L_ADD_TO_CALENDAR}}</a></p>
{{/CALENDAR}}</td>
</tr>
</table>
{{/ITEM}}</td>
</tr>
{{/SECTION}}<tr>
<td style="padding:24px;background-color:#f9fafb;font-size:13px;line-height:1.5;color:#4b5563;border-top:1px solid #e5e7eb;">
<p style="margin:0 0 8px 0;">{{FOOTER_NOTE}}</p>
<p style="margin:0;">{{#ARCHIVE}}<a href="{{ARCHIVE_URL}}" style="color:#1d4e89;">{{L_VIEW_ONLINE}}</a> · {{/ARCHIVE}}<a href="{{UNSUBSCRIBE_URL}}" style="color:#1d4e89;">{{L_UNSUBSCRIBE}}</a></p>
</td>
</tr>
</table>
</td>
</tr>
</table>
</body>
</html>
