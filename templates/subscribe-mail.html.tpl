{{%AUTOESCAPE context="HTML"}}<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{SUBJECT}}</title>
</head>
<body style="margin:0;padding:0;background:#f3f4f6;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;background:#ffffff;border-top:6px solid #1d4e89;">
<tr><td style="padding:24px;font:16px/1.5 Arial,Helvetica,sans-serif;color:#1f2937;">
<p style="margin:0 0 8px 0;font-size:14px;color:#4b5563;">{{LIST_TITLE}}</p>
<p style="margin:0 0 16px 0;">{{INTRO}}</p>
<p style="margin:0 0 16px 0;"><a href="{{LINK}}" style="display:inline-block;padding:12px 24px;background:#1d4e89;color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;">{{BUTTON}}</a></p>
<p style="margin:0 0 16px 0;">{{REPLY}}</p>
<p style="margin:0;font-size:14px;color:#4b5563;">{{IGNORE}}</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
