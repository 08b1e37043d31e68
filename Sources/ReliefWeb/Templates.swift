import Mustache

/// The pages' Mustache templates and stylesheet, compiled into the module (no bundle lookup).
///
/// Every value from users or the database is written with `{{ }}`, which HTML-escapes it
/// (`< > & " '`). `{{{ }}}` (unescaped) is never used.
enum Templates {
    static let head = """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · 消费帮扶台账</title>
        <link rel="stylesheet" href="/assets/app.css">
        </head>
        <body>
        <header class="top">
        <a class="brand" href="/">消费帮扶台账</a>
        {{#user}}
        <span class="who">{{displayName}}（{{roleName}}）</span>
        <form method="post" action="/logout" class="inline">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button type="submit">退出登录</button>
        </form>
        {{/user}}
        </header>
        <main>

        """

    static let foot = """
        </main>
        </body>
        </html>

        """

    static let login = """
        {{> head}}
        <section class="card narrow">
        <h1>登录</h1>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/login" class="stack">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>登录名 <input name="login" value="{{login}}" autocomplete="username" required maxlength="64"></label>
        <label>密码 <input type="password" name="password" autocomplete="current-password" required></label>
        <button type="submit">登录</button>
        </form>
        </section>
        {{> foot}}
        """

    static let periodForm = """
        <form method="get" action="/" class="period">
        <label>月份 <input type="month" name="period" value="{{period}}"></label>
        <button type="submit">查看</button>
        </form>
        """

    static let clerk = """
        {{> head}}
        <h1>{{enterpriseName}} · 消费帮扶采购进度</h1>
        <p class="actions"><a class="button" href="/purchases/new">录入采购</a></p>
        {{> periodForm}}
        <section class="card">
        <h2>截至 {{period}}</h2>
        <dl class="figures">
        <div><dt>年度目标</dt><dd>{{target}} 元</dd></div>
        <div><dt>累计采购</dt><dd>{{cumulative}} 元</dd></div>
        <div><dt>完成率</dt><dd id="completion">{{completion}}</dd></div>
        </dl>
        <svg class="progress" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label="完成率 {{completion}}">
        <rect x="0" y="0" width="100" height="6" fill="#e3e8ec"/>
        <rect class="bar" x="0" y="0" width="{{barWidth}}" height="6" fill="{{barColor}}"/>
        </svg>
        {{#ineligibleTotal}}<p class="note">不合格采购金额 {{ineligibleTotal}} 元，不计入完成率。</p>{{/ineligibleTotal}}
        </section>
        <section class="card">
        <h2>采购明细</h2>
        {{> lines}}
        </section>
        {{> foot}}
        """

    static let lines = """
        {{#hasLines}}
        <div class="scroll">
        <table>
        <thead><tr><th>采购日期</th><th>采购单号</th><th>供应商</th><th>商品</th><th class="num">金额（元）</th><th>判定</th><th>原因</th></tr></thead>
        <tbody>
        {{#lines}}
        <tr{{^eligible}} class="ineligible"{{/eligible}}><td>{{date}}</td><td>{{purchaseKey}}</td><td>{{supplierName}}</td><td>{{productName}}</td><td class="num">{{amount}}</td><td>{{#eligible}}合格{{/eligible}}{{^eligible}}不合格{{/eligible}}</td><td class="wrap">{{reasons}}</td></tr>
        {{/lines}}
        </tbody>
        </table>
        </div>
        {{/hasLines}}
        {{^hasLines}}<p>暂无采购记录。</p>{{/hasLines}}
        """

    static let overview = """
        {{> head}}
        <h1>各企业消费帮扶完成率</h1>
        {{#showBatches}}<p class="actions"><a class="button" href="/batches">补助批次</a></p>{{/showBatches}}
        {{> periodForm}}
        <section class="card">
        <h2>完成率排名 · 截至 {{period}}</h2>
        {{#hasBars}}
        <svg class="chart" viewBox="0 0 {{chartWidth}} {{chartHeight}}" role="img" aria-label="各企业完成率排名">
        {{#bars}}
        <g transform="translate(0 {{y}})">
        <title>{{rank}}. {{fullName}}：{{completion}}</title>
        <text x="0" y="15" class="rank">{{rank}}</text>
        <text x="30" y="15" class="label">{{name}}</text>
        <rect x="{{barX}}" y="4" width="{{barMax}}" height="14" fill="#e3e8ec"/>
        <rect x="{{barX}}" y="4" width="{{width}}" height="14" fill="{{color}}"/>
        <text x="{{valueX}}" y="15" class="value">{{completion}}</text>
        </g>
        {{/bars}}
        </svg>
        {{/hasBars}}
        {{^hasBars}}<p>暂无企业。</p>{{/hasBars}}
        </section>
        <section class="card">
        <h2>月报 {{period}}</h2>
        <div class="scroll">
        <table>
        <thead><tr><th>排名</th><th>企业</th><th class="num">年度目标</th><th class="num">本月采购</th><th class="num">累计采购</th><th class="num">完成率</th><th class="num">不合格金额</th></tr></thead>
        <tbody>
        {{#rows}}
        <tr><td>{{rank}}</td><td>{{fullName}}</td><td class="num">{{target}}</td><td class="num">{{month}}</td><td class="num">{{cumulative}}</td><td class="num">{{completion}}</td><td class="num">{{ineligible}}</td></tr>
        {{/rows}}
        </tbody>
        </table>
        </div>
        </section>
        {{> foot}}
        """

    static let purchaseForm = """
        {{> head}}
        <h1>录入采购 · {{enterpriseName}}</h1>
        <section class="card">
        {{#problemCount}}
        <div class="error" role="alert">
        <p>采购单有 {{problemCount}} 处错误，请修改后重新提交。</p>
        {{#generalProblems}}<p>{{.}}</p>{{/generalProblems}}
        </div>
        {{/problemCount}}
        <form method="post" action="/purchases" class="stack">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="purchase_key" value="{{purchaseKey}}">
        <p class="note">采购单号 {{purchaseKey}}</p>
        <div class="grid">
        {{#fields}}
        <label>{{label}}
        {{#isSelect}}
        <select name="{{name}}" required>
        {{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/options}}
        </select>
        {{/isSelect}}
        {{^isSelect}}<input type="{{type}}" name="{{name}}" value="{{value}}" maxlength="200">{{/isSelect}}
        {{#hint}}<span class="hint">{{hint}}</span>{{/hint}}
        {{#problems}}<span class="field-error" data-field="{{name}}">{{.}}</span>{{/problems}}
        </label>
        {{/fields}}
        </div>
        <p><button type="submit">提交采购</button> <a href="/">返回</a></p>
        </form>
        </section>
        {{> foot}}
        """

    static let batches = """
        {{> head}}
        <h1>补助批次</h1>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        <section class="card">
        {{#hasBatches}}
        <div class="scroll">
        <table>
        <thead><tr><th>批次</th><th>月份</th><th>状态</th><th>制单人</th><th>审核人</th><th class="num">补助合计（元）</th><th></th></tr></thead>
        <tbody>
        {{#batches}}
        <tr id="batch-{{id}}"><td>{{id}}</td><td>{{period}}</td><td class="status-{{statusCode}}">{{status}}</td><td>{{preparedBy}}</td><td>{{approvedBy}}</td><td class="num">{{total}}</td>
        <td>{{#approvable}}<form method="post" action="/batches/{{id}}/approve" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">审批</button></form>{{/approvable}}</td></tr>
        {{/batches}}
        </tbody>
        </table>
        </div>
        {{/hasBatches}}
        {{^hasBatches}}<p>暂无补助批次。</p>{{/hasBatches}}
        </section>
        {{> foot}}
        """

    static let error = """
        {{> head}}
        <section class="card narrow">
        <h1>{{heading}}</h1>
        <p class="error">{{message}}</p>
        <p><a href="/">返回首页</a></p>
        </section>
        {{> foot}}
        """

    /// The stylesheet at /assets/app.css (a file, because the CSP forbids inline styles).
    static let stylesheet = """
        *{box-sizing:border-box}
        body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#1f2933;background:#f5f7fa;line-height:1.5}
        .top{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;padding:.6rem 1rem;background:#b71c1c;color:#fff}
        .top a.brand{color:#fff;font-weight:600;text-decoration:none;margin-right:auto}
        .top .who{font-size:.95rem}
        .top button{background:transparent;color:#fff;border:1px solid #fff;border-radius:4px;padding:.2rem .6rem;cursor:pointer}
        main{max-width:1100px;margin:0 auto;padding:1rem}
        h1{font-size:1.4rem;margin:.5rem 0 1rem}
        h2{font-size:1.1rem;margin:0 0 .75rem}
        .card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:1rem;margin-bottom:1rem}
        .narrow{max-width:420px;margin:2rem auto}
        .stack{display:flex;flex-direction:column;gap:.75rem}
        .stack label{display:flex;flex-direction:column;gap:.25rem}
        input{font:inherit;padding:.45rem .5rem;border:1px solid #cbd2d9;border-radius:4px}
        button{font:inherit;padding:.45rem .9rem;border:0;border-radius:4px;background:#b71c1c;color:#fff;cursor:pointer}
        .inline{display:inline}
        .period{display:flex;gap:.5rem;align-items:center;margin-bottom:1rem}
        .error{color:#b71c1c;background:#fdecea;padding:.5rem .75rem;border-radius:4px}
        .note{color:#52606d;font-size:.9rem}
        .figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:.75rem;margin:0 0 1rem}
        .figures div{background:#f5f7fa;border-radius:6px;padding:.5rem .75rem}
        .figures dt{color:#52606d;font-size:.85rem}
        .figures dd{margin:0;font-size:1.25rem;font-weight:600}
        svg.progress{width:100%;height:28px;border-radius:4px}
        svg.chart{width:100%;height:auto;font-size:13px}
        svg.chart .rank{fill:#52606d}
        svg.chart .value{fill:#1f2933}
        .scroll{overflow-x:auto}
        table{border-collapse:collapse;width:100%;font-size:.92rem}
        th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e4e7eb;white-space:nowrap}
        th.num,td.num{text-align:right}
        td.wrap{white-space:normal;min-width:16rem}
        tr.ineligible td{background:#fff4f4}
        .actions{margin:0 0 1rem}
        a.button{display:inline-block;padding:.45rem .9rem;border-radius:4px;background:#b71c1c;color:#fff;text-decoration:none}
        .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:.75rem 1rem}
        .grid label{display:flex;flex-direction:column;gap:.25rem}
        select{font:inherit;padding:.45rem .5rem;border:1px solid #cbd2d9;border-radius:4px;background:#fff;max-width:100%}
        .field-error{color:#b71c1c;font-size:.85rem}
        .hint{color:#52606d;font-size:.8rem}
        .notice{color:#1b5e20;background:#e8f5e9;padding:.5rem .75rem;border-radius:4px}
        .status-approved,.status-paid{color:#2e7d32;font-weight:600}
        .status-prepared{color:#ef6c00;font-weight:600}

        """

    /// The compiled templates; a parse error is a programming error caught by any page test.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let sources: [(String, String)] = [
            ("head", head), ("foot", foot), ("login", login), ("periodForm", periodForm), ("clerk", clerk), ("lines", lines),
            ("overview", overview), ("error", error), ("purchaseForm", purchaseForm), ("batches", batches),
        ]
        for (name, source) in sources {
            do {
                try library.register(source, named: name)
            } catch {
                preconditionFailure("template \(name) does not parse: \(error)")
            }
        }
        return library
    }()
}
