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
        {{#user}}
        <nav class="nav">{{#nav}}<a href="{{href}}">{{label}}</a>{{/nav}}</nav>
        {{/user}}
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
        {{#omitted}}<p class="note">图中只列出前 20 名和后 10 名，其余 {{omitted}} 家见下表。</p>{{/omitted}}
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
        {{#paged}}<p class="note">第 {{page}} / {{pages}} 页，共 {{total}} 家{{#prevHref}} · <a href="{{prevHref}}">上一页</a>{{/prevHref}}{{#nextHref}} · <a href="{{nextHref}}">下一页</a>{{/nextHref}} · <a href="{{fullHref}}">完整月报</a></p>{{/paged}}
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
        {{> notices}}
        {{#canPrepare}}
        <section class="card">
        <form method="post" action="/batches" class="period">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>制作补助批次，月份 <input type="month" name="period" value="{{nextPeriod}}" required></label>
        <button type="submit">制单</button>
        </form>
        </section>
        {{/canPrepare}}
        <section class="card">
        {{#hasBatches}}
        <div class="scroll">
        <table>
        <thead><tr><th>批次</th><th>月份</th><th>状态</th><th>制单人</th><th>审核人</th><th class="num">补助合计（元）</th><th></th></tr></thead>
        <tbody>
        {{#batches}}
        <tr id="batch-{{id}}"><td>{{id}}</td><td>{{period}}</td><td class="status-{{statusCode}}">{{status}}</td><td>{{preparedBy}}</td><td>{{approvedBy}}</td><td class="num">{{total}}</td>
        <td>{{#approvable}}<form method="post" action="/batches/{{id}}/approve" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">审批</button></form>{{/approvable}}{{#payable}}<form method="post" action="/batches/{{id}}/pay" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><input type="date" name="date" value="{{payDate}}" required> <button type="submit">支付</button></form>{{/payable}}{{#paid}}<a class="download" href="/batches/{{id}}/payment-file">下载支付文件</a>{{/paid}}</td></tr>
        {{/batches}}
        </tbody>
        </table>
        </div>
        {{/hasBatches}}
        {{^hasBatches}}<p>暂无补助批次。</p>{{/hasBatches}}
        </section>
        {{> foot}}
        """

    static let notices = """
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        """

    static let reportIndex = """
        {{> head}}
        <h1>报表</h1>
        <section class="card">
        <ul class="links">
        {{#reports}}<li><a href="/reports/{{key}}?period={{period}}">{{title}}</a></li>{{/reports}}
        </ul>
        </section>
        {{> foot}}
        """

    static let report = """
        {{> head}}
        <h1>{{title}}</h1>
        <form method="get" action="/reports/{{key}}" class="period">
        <label>月份 <input type="month" name="period" value="{{period}}"></label>
        {{#hasAccounts}}<label>科目 <select name="account">{{#accounts}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/accounts}}</select></label>{{/hasAccounts}}
        {{#hasEnterprises}}<label>企业 <select name="enterprise">{{#enterprises}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/enterprises}}</select></label>{{/hasEnterprises}}
        <button type="submit">查看</button>
        </form>
        {{#hint}}<p class="note">{{hint}}</p>{{/hint}}
        {{#reportTitle}}
        <section class="card">
        <h2>{{reportTitle}}</h2>
        <p class="actions">下载：{{#downloads}}<a class="download" href="{{href}}">{{label}}</a> {{/downloads}}</p>
        <div class="scroll">
        <table class="report">
        <thead><tr>{{#columns}}<th{{#num}} class="num"{{/num}}>{{title}}</th>{{/columns}}</tr></thead>
        <tbody>
        {{#rows}}<tr>{{#cells}}<td{{#num}} class="num"{{/num}}>{{text}}</td>{{/cells}}</tr>{{/rows}}
        {{#totals}}<tr class="totals">{{#cells}}<td{{#num}} class="num"{{/num}}>{{text}}</td>{{/cells}}</tr>{{/totals}}
        </tbody>
        </table>
        </div>
        {{^hasRows}}<p>本期没有数据。</p>{{/hasRows}}
        {{#notes}}<p class="note">{{.}}</p>{{/notes}}
        </section>
        {{/reportTitle}}
        {{> foot}}
        """

    static let imports = """
        {{> head}}
        <h1>{{title}}</h1>
        {{> notices}}
        {{#hasProblems}}
        <section class="card">
        <h2>错误明细（整个文件未导入，改正后重新上传）</h2>
        <div class="scroll">
        <table class="problems">
        <thead><tr><th>行</th><th>列</th><th>问题</th></tr></thead>
        <tbody>
        {{#problems}}<tr><td>{{line}}</td><td>{{column}}</td><td class="wrap">{{message}}</td></tr>{{/problems}}
        </tbody>
        </table>
        </div>
        </section>
        {{/hasProblems}}
        <section class="card">
        <form method="post" action="{{action}}" enctype="multipart/form-data" class="stack">
        <input type="hidden" name="csrf" value="{{csrf}}">
        {{#single}}<input type="hidden" name="kind" value="{{singleKind}}">{{/single}}
        {{^single}}<label>导入内容 <select name="kind">{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kinds}}</select></label>{{/single}}
        <label>文件（CSV 或 XLSX，UTF-8 / GB18030 均可，最大 8 MB）<input type="file" name="file" accept=".csv,.xlsx" required></label>
        <p class="note">导入是全有或全无：任何一行有错，整个文件都不导入，并逐行列出错误。</p>
        <p><button type="submit">上传并导入</button></p>
        </form>
        </section>
        {{> foot}}
        """

    static let periods = """
        {{> head}}
        <h1>结账</h1>
        {{> notices}}
        {{#canClose}}
        <section class="card">
        <form method="post" action="/periods/close" class="period">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>结账月份 <input type="month" name="period" value="{{next}}" required></label>
        <button type="submit">结账</button>
        </form>
        <p class="note">月份须按顺序结账；结账后该月不能再记账，链头随结账记录保存。</p>
        </section>
        {{/canClose}}
        <section class="card">
        {{#hasCloses}}
        <div class="scroll"><table>
        <thead><tr><th>月份</th><th class="num">链序号</th><th>链头</th><th>结账人</th><th>时间</th></tr></thead>
        <tbody>{{#closes}}<tr><td>{{period}}</td><td class="num">{{seq}}</td><td class="hash">{{head}}</td><td>{{by}}</td><td>{{at}}</td></tr>{{/closes}}</tbody>
        </table></div>
        {{/hasCloses}}
        {{^hasCloses}}<p>尚未结账。</p>{{/hasCloses}}
        </section>
        {{> foot}}
        """

    static let program = """
        {{> head}}
        <h1>项目设置</h1>
        {{> notices}}
        {{#program}}
        <section class="card">
        <h2>{{name}}（{{code}}）</h2>
        <dl class="figures">
        <div><dt>结对县</dt><dd>{{county}}</dd></div>
        <div><dt>文件号</dt><dd>{{notice}}</dd></div>
        <div><dt>期间</dt><dd>{{starts}} 至 {{ends}}</dd></div>
        <div><dt>企业 / 供应商 / 商品</dt><dd>{{enterprises}} / {{suppliers}} / {{products}}</dd></div>
        </dl>
        <p class="note">乡镇：{{townships}}</p>
        </section>
        {{/program}}
        <section class="card">
        <h2>补助规则版本</h2>
        <div class="scroll"><table>
        <thead><tr><th>版本</th><th class="num">补助比例</th><th class="num">每名职工上限</th><th class="num">每家企业上限</th><th>合规渠道</th><th>生效日期</th></tr></thead>
        <tbody>{{#rules}}<tr><td>{{version}}</td><td class="num">{{rate}}</td><td class="num">{{memberCap}}</td><td class="num">{{enterpriseCap}}</td><td>{{channels}}</td><td>{{from}}</td></tr>{{/rules}}</tbody>
        </table></div>
        </section>
        {{#canAddRule}}
        <section class="card">
        <h2>新增规则版本</h2>
        {{#form}}
        <form method="post" action="/program/rules" class="grid">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>版本号 <input name="version" value="{{version}}" required></label>
        <label>补助比例（基点，1000 = 10%）<input name="rate_bp" value="{{rate_bp}}" required></label>
        <label>每名职工上限（元）<input name="member_cap" value="{{member_cap}}" required></label>
        <label>每家企业上限（元）<input name="enterprise_cap" value="{{enterprise_cap}}" required></label>
        <label>合规渠道（逗号分隔）<input name="channels" value="{{channels}}" required></label>
        <label>生效日期 <input type="date" name="effective_from" value="{{effective_from}}" required></label>
        <p><button type="submit">添加规则</button></p>
        </form>
        {{/form}}
        </section>
        {{/canAddRule}}
        {{> foot}}
        """

    static let journalBrowser = """
        {{> head}}
        <h1>序时账查询</h1>
        <form method="get" action="/journal" class="filters">
        <label>月份 <input type="month" name="period" value="{{period}}"></label>
        <label>科目 <select name="account"><option value="">全部</option>{{#accounts}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/accounts}}</select></label>
        <label>企业信用代码 <input name="enterprise" value="{{enterprise}}" maxlength="18"></label>
        <label>供应商信用代码 <input name="supplier" value="{{supplier}}" maxlength="18"></label>
        <label>凭证号 <input name="voucher" value="{{voucher}}" maxlength="10"></label>
        <button type="submit">查询</button>
        </form>
        <section class="card">
        {{#hasEntries}}
        <p class="note">共 {{count}} 笔分录</p>
        <div class="scroll"><table class="journal">
        <thead><tr><th>#</th><th>日期</th><th>凭证</th><th>摘要 / 科目</th><th class="num">借方</th><th class="num">贷方</th><th>企业</th><th>供应商</th></tr></thead>
        <tbody>
        {{#entries}}
        <tr class="entry"><td>{{seq}}</td><td>{{date}}</td><td>{{voucher}}</td><td colspan="5">{{description}} {{reverses}} <span class="note">{{createdBy}} · {{hash}}…</span></td></tr>
        {{#postings}}<tr><td></td><td></td><td></td><td>{{account}}</td><td class="num">{{debit}}</td><td class="num">{{credit}}</td><td>{{enterprise}}</td><td>{{supplier}}</td></tr>{{/postings}}
        {{/entries}}
        </tbody>
        </table></div>
        {{#nextHref}}<p><a href="{{nextHref}}">下一页</a></p>{{/nextHref}}
        {{/hasEntries}}
        {{^hasEntries}}<p>没有符合条件的分录。</p>{{/hasEntries}}
        </section>
        {{> foot}}
        """

    static let exports = """
        {{> head}}
        <h1>导出与审计包</h1>
        <section class="card">
        <h2>序时账（全部分录）</h2>
        <ul class="links">{{#formats}}<li><a class="download" href="{{href}}">{{label}}</a></li>{{/formats}}</ul>
        </section>
        <section class="card">
        <h2>审计包</h2>
        <form method="get" action="/exports/audit-pack" class="period">
        <label>月份 <input type="month" name="period" value="{{period}}" required></label>
        <button type="submit">下载审计包（ZIP）</button>
        </form>
        <p class="note">含全部报表、各格式序时账与 manifest.json，可用 relief verify --pack 离线核验。</p>
        </section>
        {{> foot}}
        """

    static let verify = """
        {{> head}}
        <h1>链校验</h1>
        <section class="card">
        {{#sound}}<p class="notice" role="status" id="chain-status">账簿 {{book}} 的哈希链完整：已校验 {{entries}} 笔分录、{{postings}} 条分录行。</p>{{/sound}}
        {{^sound}}<p class="error" role="alert" id="chain-status">账簿 {{book}} 的哈希链校验未通过！</p>{{/sound}}
        <dl class="figures">
        <div><dt>链头</dt><dd class="hash">{{head}}</dd></div>
        <div><dt>校验时间</dt><dd>{{checkedAt}}</dd></div>
        </dl>
        {{#problems}}<p class="error">{{.}}</p>{{/problems}}
        </section>
        {{> foot}}
        """

    static let auditLog = """
        {{> head}}
        <h1>操作日志</h1>
        <section class="card">
        <div class="scroll"><table>
        <thead><tr><th>时间</th><th>操作人</th><th>角色</th><th>操作</th><th>对象</th><th>来源地址</th><th>详情</th></tr></thead>
        <tbody>{{#events}}<tr><td>{{at}}</td><td>{{actor}}</td><td>{{role}}</td><td>{{action}}</td><td>{{target}}</td><td>{{remote}}</td><td class="wrap">{{detail}}</td></tr>{{/events}}</tbody>
        </table></div>
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
        .nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:.4rem 1rem;background:#fff;border-bottom:1px solid #e4e7eb;font-size:.95rem}
        .nav a{color:#b71c1c;text-decoration:none}
        .links{margin:0;padding-left:1.2rem;line-height:2}
        .filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin-bottom:1rem}
        .filters label{display:flex;flex-direction:column;font-size:.9rem}
        tr.entry td{background:#f5f7fa;font-weight:600}
        tr.totals td{font-weight:600;border-top:2px solid #52606d}
        .hash{font-family:ui-monospace,monospace;font-size:.8rem;word-break:break-all;white-space:normal}
        a.download{margin-right:.75rem}

        """

    /// The compiled templates; a parse error is a programming error caught by any page test.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        let sources: [(String, String)] = [
            ("head", head), ("foot", foot), ("login", login), ("periodForm", periodForm), ("clerk", clerk), ("lines", lines),
            ("overview", overview), ("error", error), ("purchaseForm", purchaseForm), ("batches", batches), ("notices", notices),
            ("reportIndex", reportIndex), ("report", report), ("imports", imports), ("periods", periods), ("program", program),
            ("journalBrowser", journalBrowser), ("exports", exports), ("verify", verify), ("auditLog", auditLog),
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
